#include "appcopiesfinder.h"

#include "registry/registry.h"

#include <QCoreApplication>
#include <QDir>
#include <QPointer>
#include <QThreadPool>

namespace mf::ui {

namespace {

QList<appstores::AppCopy> lookUp(const QString& vaultDirectory, qint64 modelId, QString* name)
{
    QString error;
    // A connection of its own: this runs on a pool thread.
    const auto registry =
        Registry::open(QDir(vaultDirectory).filePath(QStringLiteral("registry.sqlite")), &error);
    if (!registry)
        return {};
    if (const auto model = registry->modelRows().model(modelId))
        *name = model->name;
    QList<appstores::ModelFile> files;
    for (const FileRecord& f : registry->modelRows().files(modelId))
        files.append({f.path, f.size, f.sha256});
    if (files.isEmpty())
        return {};
    const appstores::Census census = appstores::takeCensus(
        appstores::storeRoots(QProcessEnvironment::systemEnvironment(), QDir::homePath()), false);
    return appstores::appCopiesOf(census, files,
                                  appstores::writtenByUse(AppUses::ofVault(vaultDirectory)));
}

} // namespace

void findAppCopies(QObject* context, const QString& vaultDirectory, qint64 modelId,
                   std::function<void(const QString& model, const QList<appstores::AppCopy>&)> done)
{
    QPointer<QObject> guard(context);
    QThreadPool::globalInstance()->start([guard, vaultDirectory, modelId, done] {
        QString name;
        const QList<appstores::AppCopy> copies = lookUp(vaultDirectory, modelId, &name);
        QMetaObject::invokeMethod(
            qApp,
            [guard, name, copies, done] {
                if (guard)
                    done(name, copies);
            },
            Qt::QueuedConnection);
    });
}

} // namespace mf::ui
