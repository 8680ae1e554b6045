#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace mf::ui {

// "Materialize…": put a model back where a runtime can load it, as a plain folder or in the
// Hugging Face cache layout (models--org--name/blobs, snapshots/<commit>, refs/main; only for a
// model imported from the Hub, whose source names the repo and commit). Accepting emits
// materializeRequested() for whoever runs the MaterializeJob (the Engine, on its thread).
class MaterializeDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MaterializeDialog)

public:
    enum class Layout { Plain, HfCache };
    struct Choice
    {
        QString modelName;
        QString destination;
        Layout layout = Layout::Plain;
    };

    // `source` is the model's recorded source ("hf:org/name@commit" enables the cache layout).
    MaterializeDialog(const QString& modelName, const QString& source, QWidget* parent = nullptr);

    // The Hugging Face cache folder tools read, as huggingface_hub finds it: $HF_HUB_CACHE,
    // else $HF_HOME/hub, else ~/.cache/huggingface/hub.
    static QString defaultHfCache();

    QRadioButton* plainButton() const { return m_plain; }
    QRadioButton* cacheButton() const { return m_cache; }
    QLineEdit* destinationEdit() const { return m_destination; }
    QPushButton* materializeButton() const { return m_ok; }
    Choice choice() const;

Q_SIGNALS:
    void materializeRequested(const mf::ui::MaterializeDialog::Choice& choice);

private:
    void layoutChanged();
    void browse();
    void updateButton();

    QString m_modelName;
    QRadioButton* m_plain;
    QRadioButton* m_cache;
    QLineEdit* m_destination;
    QPushButton* m_browse;
    QLabel* m_hint;
    QDialogButtonBox* m_buttons;
    QPushButton* m_ok;
    QString m_plainDestination; // kept while the cache layout is shown
};

} // namespace mf::ui
