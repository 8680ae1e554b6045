#pragma once

#include "hub/hubrepo.h"
#include "hub/variants.h"

#include <QDialog>
#include <QPointer>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace mf {
class HubClient;
class HubInfoJob;
} // namespace mf

namespace mf::ui {

class HubSearchList;

// "Import from Hugging Face": a name to search the Hub for (as you type), a repo id or a pasted
// URL, then the repo's variants (GGUF
// quantizations, safetensors shard sets) with their sizes, then the choice. Looking the repo up
// is an asynchronous HubInfoJob on the given client (nothing blocks); the import itself is not
// run here: accepting emits importRequested() with what an ImportJob needs, pinned to the commit
// that was listed, for whoever runs imports (the Engine, on its thread).
class HubImportDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubImportDialog)

public:
    struct Choice
    {
        QString repoId;
        QString commit;       // the revision listed: the import gets exactly these files
        QStringList variants; // names as variants::select takes them; empty: every file
        QString modelName;
        qint64 totalBytes = 0;
    };

    HubImportDialog(HubClient* client, QWidget* parent = nullptr);
    ~HubImportDialog() override;

    QLineEdit* repoEdit() const { return m_repoEdit; }
    QPushButton* lookUpButton() const { return m_lookUp; }
    QPushButton* importButton() const { return m_import; }
    QTreeWidget* variantList() const { return m_variants; }
    HubSearchList* searchResults() const { return m_results; }
    QLineEdit* nameEdit() const { return m_nameEdit; }
    QString statusText() const;
    const QList<HubVariant>& variants() const { return m_variantsFound; }
    Choice choice() const;

    // Looks up the repo typed in the box.
    void lookUp();
    // Looks up what the box holds when it names a repo (org/name, hf:…, a URL), else searches
    // the Hub for it.
    void lookUpOrSearch();

Q_SIGNALS:
    void importRequested(const mf::ui::HubImportDialog::Choice& choice);
    void lookedUp(); // the variants list (or the error) is shown

private:
    void onInfo();
    void updateImportButton();
    void setStatus(const QString& text, bool error);
    void search();

    HubClient* m_client;
    QLineEdit* m_repoEdit;
    QPushButton* m_lookUp;
    QLabel* m_status;
    HubSearchList* m_results;
    QTimer* m_searchDelay;
    QTreeWidget* m_variants;
    QLineEdit* m_nameEdit;
    QDialogButtonBox* m_buttons;
    QPushButton* m_import;
    QPointer<HubInfoJob> m_job;
    HubRepo m_repo;
    QList<HubVariant> m_variantsFound;
    qint64 m_companionBytes = 0;
    int m_companionFiles = 0;
};

} // namespace mf::ui
