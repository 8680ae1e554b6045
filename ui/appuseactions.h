#pragma once

#include <QObject>
#include <QSet>

#include <functional>

class QLabel;
class QMenu;
class QWidget;

namespace mf {
class Engine;
struct TransferInfo;
} // namespace mf

namespace mf::ui {

class AppUseDialog;
class FreeCopiesDialog;

// "Use in ▸" of the model menus: puts the selected models in Ollama, LM Studio, the Hugging Face
// cache or llama.cpp as `modelfloat-cli use` does (Engine::useModelIn, a transfer of the
// engine, so its progress is on the Transfers page), and "Remove from <app>" of the details
// pane. "In an app as…" asks for Ollama's NAME:TAG and the app's folder first (appusedialog.h,
// `use --as --root`); "Free disk used by the apps' copies…" frees the copies the apps keep of
// the model themselves (freecopiesdialog.h, `use --free`). When such a transfer ends, `notice`
// says what it did (hard link, reflink or copy, and the disk that cost, saved or freed) or why
// it failed, in words.
class AppUseActions final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppUseActions)

public:
    AppUseActions(Engine* engine, std::function<QList<qint64>()> selection,
                  std::function<QString(qint64)> nameOf, QWidget* parent);

    QMenu* menu() const { return m_menu; }
    QLabel* notice() const { return m_notice; }
    void removeFromApp(qint64 modelId, const QString& appKey);
    // The dialogs of the menu's last two entries, for the first selected model (tests drive
    // them; each deletes itself when closed).
    AppUseDialog* useAs();
    FreeCopiesDialog* freeCopies();

private:
    void useSelectedIn(const QString& appKey);
    void onTransfer(const TransferInfo& info);

    Engine* m_engine;
    std::function<QList<qint64>()> m_selection;
    std::function<QString(qint64)> m_nameOf;
    QWidget* m_parent;
    QMenu* m_menu;
    QLabel* m_notice;
    QSet<qint64> m_reported; // transfers already told about
};

} // namespace mf::ui
