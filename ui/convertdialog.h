#pragma once

#include "chunking/redundancyscheme.h"

#include <QDialog>

class QLabel;
class QPushButton;

namespace mf {
class Engine;
}

namespace mf::ui {

class RedundancyBox;
class VaultReader;

// "Change redundancy…" on the Models page: one model's scheme changed in place, from whole copies
// to shards or back (docs/erasure.md). It says how the model is kept now, offers the other way
// with what it costs and survives (RedundancyBox, as Settings words it), says why a choice cannot
// be made (ConvertRequest::refusal(): the queue's and `modelfloat-cli convert`'s rule, in their
// words) and, accepted, queues the conversion (Engine::convertModel), which the Transfers page
// follows. Opened with open(), never exec().
class ConvertDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConvertDialog)

public:
    ConvertDialog(Engine* engine, VaultReader& reader, qint64 modelId, QWidget* parent = nullptr);

    RedundancyBox* choice() const { return m_choice; }
    QPushButton* convertButton() const { return m_convert; }
    QLabel* refusalLabel() const { return m_refusal; }

private:
    void check();
    void convert();

    Engine* m_engine;
    const qint64 m_modelId;
    // What the refusal is judged by, read from the vault once when the dialog opens (check()
    // runs at every change of the choice, on the GUI thread).
    QString m_name;
    RedundancyScheme m_now;
    int m_wantedCopies = 0;
    int m_providers = 0;
    RedundancyBox* m_choice = nullptr;
    QLabel* m_refusal;
    QPushButton* m_convert = nullptr;
};

} // namespace mf::ui
