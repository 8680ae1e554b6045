#pragma once

#include "chunking/redundancyscheme.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QSpinBox;

namespace mf::ui {

// How the vault keeps each chunk (docs/erasure.md), as Settings offers it: whole copies on N
// providers, or K data + M parity shards on K+M providers. Under the choice, what it costs and
// survives in plain words ("1.5× the model's size, survives losing any 2 of your 6
// providers"), the same sentence `modelfloat-cli config redundancy` prints.
class RedundancyBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedundancyBox)

public:
    // `providers`: those that take new copies, which a scheme is measured against.
    RedundancyBox(const RedundancyScheme& scheme, int providers, QWidget* parent = nullptr);

    // Words for one model's scheme (ConvertDialog) rather than the vault's: no sentence on what
    // happens to new models.
    void setForOneModel();

    RedundancyScheme scheme() const;
    // Why the vault cannot take the scheme chosen (empty: it can).
    QString refusal() const;
    QString description() const; // the sentence shown under the choice

Q_SIGNALS:
    void changed();

private:
    void update();

    const int m_providers;
    bool m_oneModel = false;
    QComboBox* m_kind;
    QSpinBox* m_copies;
    QSpinBox* m_data;   // K
    QSpinBox* m_parity; // M
    QLabel* m_plus;
    QLabel* m_description;
};

} // namespace mf::ui
