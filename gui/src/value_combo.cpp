#include "umlab/gui/value_combo.hpp"

namespace umlab::gui {

ValueCombo::ValueCombo(QWidget* parent) : QComboBox(parent) {
  setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  connect(this, &QComboBox::currentIndexChanged, this, &ValueCombo::updateTip);
}

void ValueCombo::updateTip() {
  // A long entry ("inherited: on (built-in kind 'firewall')") is cut off in a narrow panel; the
  // tool tip shows it whole, unless the owner gave its own.
  if (toolTip().isEmpty() || toolTip() == shownTip_) {
    shownTip_ = currentText();
    setToolTip(shownTip_);
  }
}

void ValueCombo::addValue(const QString& value, const QString& label) {
  insertItem(fixedCount_++, label.isEmpty() ? value : label, value);
}

void ValueCombo::setUnsetText(const QString& label) {
  if (fixedCount_ > 0 && itemData(0).toString().isEmpty()) {
    if (itemText(0) != label) {
      setItemText(0, label);
      updateTip();
    }
    return;
  }
  insertItem(0, label, QString());
  ++fixedCount_;
}

void ValueCombo::setValue(const std::string& value) {
  const QString v = QString::fromStdString(value);
  while (count() > fixedCount_)
    removeItem(count() - 1);
  int i = findData(v);
  if (i < 0) {
    addItem(tr("%1 (as written)").arg(v), v);
    i = count() - 1;
  }
  if (currentIndex() != i)
    setCurrentIndex(i);
}

std::string ValueCombo::value() const { return currentData().toString().trimmed().toStdString(); }

} // namespace umlab::gui
