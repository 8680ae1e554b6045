#pragma once

#include "chunking/redundancyscheme.h"
#include "droppedfiles.h"
#include "registry/records.h"
#include "requests/floatrequest.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace mf::ui {

// Asks how to float what was dropped: the model's name (from the folder or file name), how many
// replicas (the copies the vault wants: HealthRows::wantedCopies()) or, in a vault that keeps
// shards, the shards it keeps (set in Settings, not per float), on which providers (every
// one that takes new copies, except those the user left out last time, remembered in QSettings,
// and those whose last check failed). Bad input is explained in the dialog and it stays open;
// accept() only happens with a request the engine can start.
class FloatDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FloatDialog)

public:
    // `wanted`: the vault's shards (Vault::redundancyIn), or the copies it wants
    // (HealthRows::wantedCopies). `existingName` says whether a model of that name is already in
    // the vault.
    FloatDialog(const DroppedFiles& dropped, const QList<ProviderRecord>& providers,
                const RedundancyScheme& wanted, std::function<bool(const QString&)> existingName,
                QWidget* parent = nullptr);

    FloatRequest request() const;
    // The problem with the input as it is, or empty.
    QString validate() const;
    QString errorText() const;

    QLineEdit* nameEdit() const { return m_name; }
    QSpinBox* replicasBox() const { return m_replicas; } // hidden when the vault keeps shards
    // What the replicas chosen, or the shards, cost and survive, in plain words
    // (RedundancyScheme::describe).
    QString costText() const;
    QList<QCheckBox*> providerBoxes() const { return m_providerBoxes; }

    static QString suggestedName(const QStringList& paths);

public Q_SLOTS:
    void accept() override;

private:
    void showError(const QString& text);
    void updateCost();

    DroppedFiles m_dropped;
    std::function<bool(const QString&)> m_existingName;
    QLineEdit* m_name = nullptr;
    RedundancyScheme m_wanted;
    QSpinBox* m_replicas = nullptr;
    QList<QCheckBox*> m_providerBoxes;
    QLabel* m_cost = nullptr;
    QLabel* m_error = nullptr;
};

} // namespace mf::ui
