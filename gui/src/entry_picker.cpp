#include "umlab/gui/entry_picker.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QToolButton>

#include <algorithm>

namespace umlab::gui {

EntryPicker::EntryPicker(const QString& prefix, const QString& addTip, const QString& removeTip, QWidget* parent)
    : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  combo_ = new QComboBox(this);
  combo_->setObjectName(prefix + "Picker");
  combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  combo_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  layout->addWidget(combo_);
  auto* add = new QToolButton(this);
  add->setObjectName(prefix + "Add");
  add->setText(QStringLiteral("+"));
  add->setToolTip(addTip);
  layout->addWidget(add);
  remove_ = new QToolButton(this);
  remove_->setObjectName(prefix + "Remove");
  remove_->setText(QStringLiteral("−"));
  remove_->setToolTip(removeTip);
  layout->addWidget(remove_);
  connect(combo_, &QComboBox::activated, this, &EntryPicker::currentChanged);
  connect(add, &QToolButton::clicked, this, &EntryPicker::addClicked);
  connect(remove_, &QToolButton::clicked, this, [this] {
    if (combo_->currentIndex() >= 0)
      emit removeClicked(combo_->currentIndex());
  });
  setEntries({}, -1);
}

void EntryPicker::setEntries(const QStringList& labels, int current) {
  QStringList now;
  for (int i = 0; i < combo_->count(); ++i)
    now << combo_->itemText(i);
  if (now != labels) {
    const QSignalBlocker block(combo_);
    combo_->clear();
    combo_->addItems(labels);
  }
  const int index = labels.isEmpty() ? -1 : std::clamp(current, 0, int(labels.size()) - 1);
  if (combo_->currentIndex() != index) {
    const QSignalBlocker block(combo_);
    combo_->setCurrentIndex(index);
  }
  combo_->setEnabled(!labels.isEmpty());
  remove_->setEnabled(!labels.isEmpty());
}

int EntryPicker::current() const { return combo_->currentIndex(); }
int EntryPicker::count() const { return combo_->count(); }

} // namespace umlab::gui
