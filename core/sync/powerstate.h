#pragma once

#include <QObject>

namespace mf {

// Whether heavy background work should wait: the network is metered (QNetworkInformation, on
// the backends that know it) or the computer runs on battery (UPower's OnBattery, over the
// system D-Bus, on Linux). Where neither can be asked (no backend, no system bus, no UPower) it
// says "not metered, on mains": the work runs. Asynchronous throughout: it never waits for
// D-Bus. Lives on the thread that creates it (the engine's).
class PowerState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PowerState)

public:
    explicit PowerState(QObject* parent = nullptr);
    ~PowerState() override;

    // Starts watching (loads the network backend, asks UPower and follows its changes).
    void start();

    bool metered() const { return m_metered; }
    bool onBattery() const { return m_onBattery; }

    // For tests and for a platform without these services: the values to use.
    void setMetered(bool metered);
    void setOnBattery(bool onBattery);

Q_SIGNALS:
    void changed();

private Q_SLOTS:
    // UPower's org.freedesktop.DBus.Properties.PropertiesChanged (QDBusConnection::connect
    // takes only a slot by name).
    void onUPowerPropertiesChanged(const QString& interface, const QVariantMap& changed,
                                   const QStringList& invalidated);

private:
    void askUPower();

    bool m_metered = false;
    bool m_onBattery = false;
    bool m_started = false;
};

} // namespace mf
