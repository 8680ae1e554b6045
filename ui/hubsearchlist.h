#pragma once

#include "hub/hubsearch.h"

#include <QPointer>
#include <QTreeWidget>

namespace mf {
class HubClient;
} // namespace mf

namespace mf::ui {

// The Hub's models matching a name, as a list a person picks from (downloads, likes, the GGUF
// quantizations on offer), most downloaded first. Each search is an asynchronous HubSearchJob;
// a new one replaces the one running. Activating a row (double-click, Enter) chooses it.
class HubSearchList final : public QTreeWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HubSearchList)

public:
    explicit HubSearchList(HubClient* client, QWidget* parent = nullptr);
    ~HubSearchList() override;

    void search(const QString& query);
    void cancel();
    bool isSearching() const { return m_job != nullptr; }

Q_SIGNALS:
    void chosen(const QString& repoId);
    // What the search found or why it failed, in words for the dialog's status line.
    void status(const QString& text, bool error);
    void searched(); // the list (or the error) is shown

private:
    void onFinished();

    HubClient* m_client;
    QPointer<HubSearchJob> m_job;
};

} // namespace mf::ui
