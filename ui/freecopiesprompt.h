#pragma once
// The words of freeing the apps' own copies of a floated model, and the question before
// removing them outright, shared by the offer after a float is verified (appstoreoffer.h) and
// the model menu's dialog (freecopiesdialog.h), so both say the same.

#include "appstores/appcopies.h"

#include <QString>

#include <functional>

class QMessageBox;
class QWidget;

namespace mf::ui {

// "The apps keep 2 copies of it on this disk (2.00 MiB): Ollama (tiny:latest), Hugging Face
// cache (org/tiny@main:tiny.gguf)."
QString appCopiesText(const QList<appstores::AppCopy>& copies);
// The replace button: "Free 1.00 MiB used by duplicate copies"; empty when replacing frees
// nothing (one copy: the shared copy takes its place).
QString replaceButtonText(const QList<appstores::AppCopy>& copies);

// Asks, window-modal and without blocking, before removing the copies from their apps
// outright: names the apps, says they will no longer have the model and what it frees. `yes`
// runs when the person agrees. The box deletes itself when closed.
QMessageBox* askKeepFloatingOnly(QWidget* parent, const QString& model,
                                 const QList<appstores::AppCopy>& copies,
                                 std::function<void()> yes);

} // namespace mf::ui
