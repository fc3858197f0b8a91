#include "umlab/gui/value_combo.hpp"

#include <QApplication>

namespace umlab::gui {

ValueCombo::ValueCombo(QWidget* parent) : QComboBox(parent) {
  setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  connect(this, &QComboBox::currentIndexChanged, this, &ValueCombo::updateTip);
  connect(this, &QComboBox::currentIndexChanged, this, &ValueCombo::updateLook);
}

bool ValueCombo::isUnset() const {
  return currentIndex() == 0 && fixedCount_ > 0 && itemData(0).toString().isEmpty();
}

void ValueCombo::updateLook() {
  // The entry that writes nothing says what is inherited: drawn as a placeholder, as an empty
  // line edit's hint is, so that it does not read as a value of the element's own.
  QPalette p = palette();
  const QPalette normal = QApplication::palette(this);
  for (const QPalette::ColorRole role : {QPalette::ButtonText, QPalette::Text})
    p.setColor(role, isUnset() ? normal.color(QPalette::PlaceholderText) : normal.color(role));
  setPalette(p);
}

void ValueCombo::updateTip() {
  // A long entry ("on (built-in kind 'firewall')") is cut off in a narrow panel; the
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
  updateLook();
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
