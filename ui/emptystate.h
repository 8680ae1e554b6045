#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace mf::ui {

// What an empty vault shows instead of an empty table: what to do, and a button that does it;
// what providers and copies are, and, while the vault has one provider, the offer of a second.
class EmptyState final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmptyState)

public:
    explicit EmptyState(QWidget* parent = nullptr);
    QPushButton* chooseFilesButton() const { return m_files; }
    QPushButton* connectStorageButton() const { return m_connect; }
    // What providers and copies are, with this vault's figures.
    QLabel* howItWorks() const { return m_howItWorks; }
    // Shown while the vault has one provider: a second one gives every piece a second place.
    QWidget* secondProviderOffer() const { return m_secondOffer; }
    QPushButton* addSecondProviderButton() const { return m_addSecond; }

    // The vault's providers and the copies it keeps of every chunk.
    void setProviders(int providerCount, int wantedCopies);

Q_SIGNALS:
    void chooseFilesRequested();
    void chooseFolderRequested();
    // Storage another computer filled: its models come back (the Providers page attaches it).
    void connectStorageRequested();
    // A second provider (the Providers page's add dialog).
    void addProviderRequested();

private:
    QPushButton* m_files = nullptr;
    QPushButton* m_folder = nullptr;
    QPushButton* m_connect = nullptr;
    QLabel* m_howItWorks = nullptr;
    QWidget* m_secondOffer = nullptr;
    QPushButton* m_addSecond = nullptr;
};

} // namespace mf::ui
