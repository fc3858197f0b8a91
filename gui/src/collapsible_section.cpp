#include "umlab/gui/collapsible_section.hpp"

#include <QToolButton>
#include <QVBoxLayout>

namespace umlab::gui {

CollapsibleSection::CollapsibleSection(const QString& title, QWidget* content, QWidget* parent)
    : QWidget(parent), content_(content) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  header_ = new QToolButton(this);
  header_->setText(title);
  header_->setCheckable(true);
  header_->setAutoRaise(true);
  header_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  header_->setArrowType(Qt::RightArrow);
  header_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  QFont f = header_->font();
  f.setBold(true);
  header_->setFont(f);
  layout->addWidget(header_);
  content_->setParent(this);
  content_->setVisible(false);
  layout->addWidget(content_);
  connect(header_, &QToolButton::toggled, this, &CollapsibleSection::setExpanded);
}

void CollapsibleSection::setTitle(const QString& title) {
  if (header_->text() != title)
    header_->setText(title);
}

QString CollapsibleSection::title() const { return header_->text(); }

bool CollapsibleSection::isExpanded() const { return header_->isChecked(); }

void CollapsibleSection::setExpanded(bool expanded) {
  header_->setChecked(expanded);
  header_->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
  if (content_->isVisibleTo(this) != expanded) {
    content_->setVisible(expanded);
    emit expandedChanged(expanded);
  }
}

QString titleWithCount(const QString& title, size_t count) {
  return count == 0 ? title : QStringLiteral("%1 (%2)").arg(title).arg(count);
}

} // namespace umlab::gui
