#pragma once
// Where the apps keep their own copies of a vault model, looked up off the GUI thread: the
// scan of their stores (appstores::takeCensus, their small files only) matched against the
// model's files (appstores::appCopiesOf, as AppUseJob's free does before it acts). LM Studio's
// copies of a file's size are listed unread: the job reads each before it touches it.

#include "appstores/appcopies.h"

#include <QObject>

#include <functional>

namespace mf::ui {

// `done` runs on the GUI thread with the model's name and what was found, unless `context` was
// destroyed meanwhile.
void findAppCopies(
    QObject* context, const QString& vaultDirectory, qint64 modelId,
    std::function<void(const QString& model, const QList<appstores::AppCopy>&)> done);

} // namespace mf::ui
