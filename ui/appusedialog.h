#pragma once

#include <QDialog>

class QComboBox;
class QLineEdit;

namespace mf {
class Engine;
} // namespace mf

namespace mf::ui {

// "Use in an app as…" of the Use in ▸ menu: what `use MODEL --in APP --as NAME:TAG --root DIR`
// takes, with the defaults prefilled (Ollama's name: the model's name, tag latest; the folder:
// the one the app reads, from its variables or the home). Accepting queues the use on the
// engine (Engine::useModelIn); a folder left at the app's default is passed as none.
class AppUseDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppUseDialog)

public:
    AppUseDialog(Engine* engine, qint64 modelId, const QString& modelName,
                 QWidget* parent = nullptr);

    QComboBox* app() const { return m_app; }
    QLineEdit* name() const { return m_name; }
    QLineEdit* folder() const { return m_folder; }
    // What accepting queued (tests); 0 before.
    qint64 queued() const { return m_queued; }

private:
    void onApp();
    void useIt();
    QString defaultFolder() const;

    Engine* m_engine;
    qint64 m_modelId;
    QString m_modelName;
    QComboBox* m_app;
    QLineEdit* m_name;
    QLineEdit* m_folder;
    qint64 m_queued = 0;
};

} // namespace mf::ui
