#include "powerstate.h"

#include <QNetworkInformation>

#ifdef MODELFLOAT_HAVE_DBUS
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#endif

namespace mf {

namespace {
#ifdef MODELFLOAT_HAVE_DBUS
const QString UPowerService = QStringLiteral("org.freedesktop.UPower");
const QString UPowerPath = QStringLiteral("/org/freedesktop/UPower");
const QString UPowerInterface = QStringLiteral("org.freedesktop.UPower");
const QString PropertiesInterface = QStringLiteral("org.freedesktop.DBus.Properties");
#endif
} // namespace

PowerState::PowerState(QObject* parent)
    : QObject(parent)
{}

PowerState::~PowerState() = default;

void PowerState::start()
{
    if (m_started)
        return;
    m_started = true;
    // Qt 6.4: loadBackendByFeatures. No backend (no NetworkManager): never metered.
    if (QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Metered)) {
        if (QNetworkInformation* info = QNetworkInformation::instance()) {
            m_metered = info->isMetered();
            connect(info, &QNetworkInformation::isMeteredChanged, this,
                    [this](bool metered) { setMetered(metered); });
        }
    }
#ifdef MODELFLOAT_HAVE_DBUS
    QDBusConnection bus = QDBusConnection::systemBus();
    if (!bus.isConnected())
        return;
    bus.connect(UPowerService, UPowerPath, PropertiesInterface, QStringLiteral("PropertiesChanged"),
                this, SLOT(onUPowerPropertiesChanged(QString, QVariantMap, QStringList)));
    askUPower();
#endif
}

void PowerState::askUPower()
{
#ifdef MODELFLOAT_HAVE_DBUS
    QDBusMessage call = QDBusMessage::createMethodCall(UPowerService, UPowerPath,
                                                       PropertiesInterface, QStringLiteral("Get"));
    call << UPowerInterface << QStringLiteral("OnBattery");
    auto* watcher = new QDBusPendingCallWatcher(QDBusConnection::systemBus().asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher* w) {
        w->deleteLater();
        const QDBusPendingReply<QDBusVariant> reply = *w;
        if (!reply.isError()) // no UPower: on mains, as far as anyone can tell
            setOnBattery(reply.value().variant().toBool());
    });
#endif
}

void PowerState::onUPowerPropertiesChanged(const QString& interface, const QVariantMap& changed,
                                           const QStringList& invalidated)
{
    if (interface != QLatin1String("org.freedesktop.UPower"))
        return;
    const auto it = changed.constFind(QStringLiteral("OnBattery"));
    if (it != changed.constEnd())
        setOnBattery(it->toBool());
    else if (invalidated.contains(QStringLiteral("OnBattery")))
        askUPower();
}

void PowerState::setMetered(bool metered)
{
    if (metered == m_metered)
        return;
    m_metered = metered;
    Q_EMIT changed();
}

void PowerState::setOnBattery(bool onBattery)
{
    if (onBattery == m_onBattery)
        return;
    m_onBattery = onBattery;
    Q_EMIT changed();
}

} // namespace mf
