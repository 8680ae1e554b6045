#pragma once

#include "appstores/appcopies.h"
#include "appstores/appsource.h"

#include <QHash>
#include <QMessageBox>
#include <QPointer>
#include <QSet>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QDialog;
class QLabel;
class QListWidget;

class QPushButton;

namespace mf {
class Engine;
struct TransferInfo;
} // namespace mf

namespace mf::ui {

// The first-run offer of issue 38: when a vault opens, the stores of Ollama, LM Studio and the
// Hugging Face cache are scanned off the GUI thread (appstores::takeCensus, as `modelfloat-cli
// scan`, reading only the stores' own small files), and the models in them the vault does not
// hold yet are offered in a banner on the Models page: "Float N models found in … (X GB)".
// "Choose…" opens a small list to pick from; each chosen model floats as `float --from` does
// (appstores::resolveAppSource into a FloatRequest: the bytes read once, checked against the
// app's digest as they are chunked). "Not now" remembers it in the app's settings: the offer
// is not made again.
// Whenever a model is verified with every copy the vault wants (a model chosen here is verified
// as soon as it floated), the apps' own copies of it are looked for (appcopiesfinder.h) and, if
// there are any, a second line offers to free them: replaced by the one shared copy, or removed
// from the apps outright ("Keep it floating only", asked first), as `use MODEL --free` does.
class AppStoreOffer final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AppStoreOffer)

public:
    static constexpr const char* DismissedKey = "appStores/offerDismissed";

    struct Candidate
    {
        QString label; // "llama3.2:latest in Ollama"
        qint64 bytes = 0;
        appstores::AppSource source;
    };

    explicit AppStoreOffer(Engine* engine, QWidget* parent = nullptr);
    ~AppStoreOffer() override;
    // A page showing the banner above `page` (the Models page's stack: the browser or the
    // empty state of a new vault).
    QWidget* withPage(QWidget* page);

    const QList<Candidate>& candidates() const { return m_candidates; }
    QLabel* message() const { return m_message; }
    // The list "Choose…" opened, while it is open (tests tick and accept it).
    QDialog* chooser() const { return m_chooser; }
    QListWidget* chooserList() const { return m_list; }
    int scansStarted() const { return m_scans; }
    void choose();
    void dismiss();
    // After a model was verified: the offer to free the apps' own copies of it (a line of the
    // banner), and its answers. The question before removing them, while it is open.
    QLabel* replaceMessage() const { return m_replaceMessage; }
    QWidget* replaceButtons() const { return m_replaceButtons; }
    QPushButton* replaceButton() const { return m_replaceButton; }
    QMessageBox* question() const { return m_question; }
    void replaceCopies();
    void keepFloatingOnly();

Q_SIGNALS:
    void scanned(int candidates); // the scan ended (tests)

private:
    void startScan();
    void showCandidates(const QList<Candidate>& candidates);
    void floatChosen();
    void onTransfer(const TransferInfo& info);
    void offerFree(qint64 modelId, const QString& model, const QList<appstores::AppCopy>& copies);
    void closeFreeOffer();

    Engine* m_engine;
    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
    QList<Candidate> m_candidates;
    QLabel* m_message;
    QWidget* m_offerRow;
    QLabel* m_replaceMessage;
    QWidget* m_replaceButtons;
    QPushButton* m_replaceButton;
    QPointer<QMessageBox> m_question;
    // Floats chosen here, by transfer id: each is verified when it is done.
    QSet<qint64> m_floating;
    // The model whose apps' copies are offered, and the free running (transfer id).
    struct Offered
    {
        qint64 modelId = 0;
        QString model;
        QList<appstores::AppCopy> copies;
    };
    std::optional<Offered> m_offered;
    QSet<qint64> m_declined; // models whose offer was answered "Keep them"
    QSet<qint64> m_looked;   // verifies whose model's copies were looked for
    qint64 m_freeing = 0;
    QPointer<QDialog> m_chooser;
    QListWidget* m_list = nullptr;
    int m_scans = 0;
};

} // namespace mf::ui
