#pragma once

#include "providerdialog.h"
#include "registry/records.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QTreeWidget;
class QTreeWidgetItem;
class QTimer;

namespace mf {
class Engine;
}

namespace mf::ui {

class VaultReader;

// The Providers page: every provider with its kind's icon, where it keeps its objects (a path or
// a URL), a usage bar against its quota, the free space it reports, its health, the result of
// the last connection test and any budget pause; add, edit, remove (asked first) and test.
class ProvidersPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProvidersPage)

public:
    ProvidersPage(Engine* engine, QWidget* parent = nullptr);

    void setReader(VaultReader* reader);
    // Reads the providers again (Engine::providersChanged, statsChanged).
    void refresh();
    // Selects the providers with these names ("Show in providers").
    void highlight(const QStringList& names);
    // Adds a provider another computer filled, then takes in the models its catalog lists
    // (Engine::recoverCatalog -> catalogRecovered).
    void openAttachDialog();
    // The add-provider dialog (also the empty vault's "Add a second provider…").
    void openAddDialog();

    QTreeWidget* list() const { return m_list; }
    // The selected provider in full: where it stores, its health and why (a row cuts it off).
    QLabel* details() const { return m_details; }
    QAction* addAction() const { return m_add; }
    QAction* attachAction() const { return m_attach; }
    QAction* editAction() const { return m_edit; }
    QAction* removeAction() const { return m_remove; }
    QAction* testAction() const { return m_test; }
    QAction* signInAction() const { return m_signIn; }
    ProviderDialog* openDialog() const { return m_dialog; }

Q_SIGNALS:
    // Attached: the models on it are being looked for.
    void storageAttached(const QString& providerName);
    // The recovery key given with it was refused (a typo, or the keychain said no): why.
    void recoveryKeyRefused(const QString& why);

private:
    qint64 selectedId() const;
    void updateActions();
    void updateDetails();
    void openEditDialog();
    // Kinds that sign in (MEGA, Google Drive): the edit dialog, to type the password (and code)
    // or the OAuth client secret again; Drive's sign-in then goes through the browser.
    void openSignInDialog();
    void askRemove();
    void testSelected();
    void showDialog(ProviderDialog* dialog);
    // "uploads paused until 14:05 (in 1 h 12 min): why", for a provider whose budget ran out
    // (both ways when both are paused).
    static QString pausedText(const ProviderBudget& budget);
    // "14:05" today, "2026-11-24 14:05" another day.
    static QString timeText(qint64 ms);
    void updateCountdowns();
    // The Free column from the providers' last answers (Engine::providerSpace).
    void updateFreeSpace();

    Engine* m_engine;
    VaultReader* m_reader = nullptr;
    QTreeWidget* m_list;
    QLabel* m_hint;
    QLabel* m_details;
    QAction* m_add;
    QAction* m_attach;
    QAction* m_edit;
    QAction* m_remove;
    QAction* m_test;
    QAction* m_signIn = nullptr;
    QPointer<ProviderDialog> m_dialog;      // clears itself when the dialog closes
    QHash<qint64, QString> m_testResults;   // by provider id, until the next refresh of the row
    QHash<qint64, ProviderBudget> m_pauses; // providers paused by a budget, by id
    QTimer* m_countdown;                    // ticks while any provider is paused
    QHash<qint64, qint64> m_available;      // bytes each provider can still take; -1 unknown
    QTimer* m_measureDelay;                 // coalesces the questions of a burst of changes
};

} // namespace mf::ui
