#include "freecopiesprompt.h"

#include "util/units.h"

#include <QCoreApplication>
#include <QMessageBox>
#include <QPushButton>

namespace mf::ui {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("mf::ui::FreeCopies", text);
}

} // namespace

QString appCopiesText(const QList<appstores::AppCopy>& copies)
{
    return tr("The apps keep %1 of it on this disk (%2): %3.")
        .arg(units::counted(copies.size(), tr("a copy"), tr("%1 copies")),
             units::formatBytes(appstores::bytesOf(copies)), appstores::placesOf(copies));
}

QString replaceButtonText(const QList<appstores::AppCopy>& copies)
{
    const qint64 bytes = appstores::duplicateBytesOf(copies);
    if (bytes <= 0)
        return {};
    return tr("Free %1 used by duplicate copies").arg(units::formatBytes(bytes));
}

QMessageBox* askKeepFloatingOnly(QWidget* parent, const QString& model,
                                 const QList<appstores::AppCopy>& copies, std::function<void()> yes)
{
    QStringList apps;
    for (const appstores::AppCopy& c : copies)
        apps.append(appstores::appName(c.app));
    apps.removeDuplicates();
    auto* box =
        new QMessageBox(QMessageBox::Warning, tr("Keep it floating only"),
                        tr("Remove “%1” from %2?").arg(model, apps.join(QStringLiteral(", "))),
                        QMessageBox::NoButton, parent);
    box->setInformativeText(
        tr("%1 will no longer have it: %2 is removed from %3, which frees %4. The model stays "
           "floating in the vault, verified; “Use in” puts it back without another download.")
            .arg(apps.join(QStringLiteral(", ")),
                 units::counted(copies.size(), tr("its copy"), tr("every copy (%1)")),
                 appstores::placesOf(copies), units::formatBytes(appstores::bytesOf(copies))));
    QPushButton* remove = box->addButton(tr("Remove from the apps"), QMessageBox::DestructiveRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    QObject::connect(box, &QMessageBox::buttonClicked, box, [remove, yes](auto* button) {
        if (button == remove)
            yes();
    });
    box->open();
    return box;
}

} // namespace mf::ui
