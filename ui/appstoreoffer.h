#pragma once

#include "appstores/appsource.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QDialog;
class QLabel;
class QListWidget;

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
        // The apps' own copies of it that the app names by its SHA-256, each its own file on
        // disk: once it is floated and verified, they can be replaced by one shared copy.
        QString appKey;
        QStringList appFiles;
        qint64 duplicateBytes = 0;
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
    // After a chosen model floated and every copy was verified: the offer to replace the apps'
    // own copies of it by one shared copy (a line of the banner), and accepting it.
    QLabel* replaceMessage() const { return m_replaceMessage; }
    QWidget* replaceButtons() const { return m_replaceButtons; }
    void replaceCopies();

Q_SIGNALS:
    void scanned(int candidates); // the scan ended (tests)

private:
    void startScan();
    void showCandidates(const QList<Candidate>& candidates);
    void floatChosen();
    void onTransfer(const TransferInfo& info);
    void offerReplace(const Candidate& candidate, qint64 modelId);

    Engine* m_engine;
    std::shared_ptr<std::atomic_bool> m_cancelled = std::make_shared<std::atomic_bool>(false);
    QList<Candidate> m_candidates;
    QLabel* m_message;
    QWidget* m_offerRow;
    QLabel* m_replaceMessage;
    QWidget* m_replaceButtons;
    // Models chosen to float whose apps' copies can be replaced: by float, then verify,
    // transfer id; then the one offered (with its model).
    QHash<qint64, Candidate> m_floating;
    QHash<qint64, QPair<Candidate, qint64>> m_verifying;
    std::optional<QPair<Candidate, qint64>> m_replaceable;
    qint64 m_replacing = 0;
    QPointer<QDialog> m_chooser;
    QListWidget* m_list = nullptr;
    int m_scans = 0;
};

} // namespace mf::ui
