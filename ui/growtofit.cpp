#include "growtofit.h"

#include <QLayout>
#include <QWidget>

namespace mf::ui {

void growToFit(QWidget* window)
{
    QLayout* layout = window->layout();
    if (!layout)
        return;
    layout->activate(); // take in what just changed
    const int width = window->width();
    const int wanted =
        window->hasHeightForWidth() ? window->heightForWidth(width) : window->sizeHint().height();
    if (wanted > window->height())
        window->resize(width, wanted);
}

} // namespace mf::ui
