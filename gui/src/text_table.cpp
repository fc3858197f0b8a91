#include "umlab/gui/text_table.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace umlab::gui {

namespace {
constexpr int kMaxVisibleRows = 8; // more rows scroll inside the table
} // namespace

TextTable::TextTable(const QStringList& headers, QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  table_ = new QTableWidget(0, int(headers.size()), this);
  table_->setHorizontalHeaderLabels(headers);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked |
                          QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
  table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  table_->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  table_->setWordWrap(false);
  layout->addWidget(table_);
  auto* buttons = new QHBoxLayout;
  buttons->setSpacing(2);
  auto button = [&](const QString& text, const QString& tip, const QString& name) {
    auto* b = new QToolButton(this);
    b->setText(text);
    b->setToolTip(tip);
    b->setObjectName(name);
    buttons->addWidget(b);
    return b;
  };
  connect(button(QStringLiteral("+"), tr("Add a row"), "addRow"), &QToolButton::clicked, this, &TextTable::addRow);
  connect(button(QStringLiteral("−"), tr("Remove the selected row"), "removeRow"), &QToolButton::clicked, this,
          &TextTable::removeRow);
  browseButton_ = button(tr("Browse…"), QString(), "browse");
  browseButton_->setVisible(false);
  connect(browseButton_, &QToolButton::clicked, this, &TextTable::browse);
  buttons->addStretch();
  layout->addLayout(buttons);
  connect(table_, &QTableWidget::itemChanged, this, [this] {
    if (!loading_)
      emitIfEdited();
  });
  fitHeight();
}

int TextTable::columnCount() const { return table_->columnCount(); }

void TextTable::emitIfEdited() {
  // A cell editor that closes commits its text even when it did not change it.
  Rows now = rows();
  if (now == shown_)
    return;
  shown_ = std::move(now);
  emit edited();
}

void TextTable::fitHeight() {
  const int rows = std::clamp(table_->rowCount(), 1, kMaxVisibleRows);
  const int h = table_->horizontalHeader()->sizeHint().height() + rows * table_->verticalHeader()->defaultSectionSize() +
                2 * table_->frameWidth();
  table_->setFixedHeight(h);
}

void TextTable::setRows(const Rows& rows) {
  shown_ = rows;
  if (rows == this->rows())
    return;
  loading_ = true;
  table_->setRowCount(int(rows.size()));
  for (int r = 0; r < int(rows.size()); ++r)
    for (int c = 0; c < table_->columnCount(); ++c) {
      const QString text = c < int(rows[r].size()) ? QString::fromStdString(rows[r][c]) : QString();
      if (QTableWidgetItem* item = table_->item(r, c))
        item->setText(text);
      else
        table_->setItem(r, c, new QTableWidgetItem(text));
    }
  loading_ = false;
  fitHeight();
}

TextTable::Rows TextTable::rows() const {
  Rows out;
  for (int r = 0; r < table_->rowCount(); ++r) {
    std::vector<std::string> row;
    bool any = false;
    for (int c = 0; c < table_->columnCount(); ++c) {
      const QTableWidgetItem* item = table_->item(r, c);
      row.push_back(item ? item->text().trimmed().toStdString() : std::string());
      any = any || !row.back().empty();
    }
    if (any)
      out.push_back(std::move(row));
  }
  return out;
}

void TextTable::addRow() {
  loading_ = true;
  const int r = table_->rowCount();
  table_->insertRow(r);
  for (int c = 0; c < table_->columnCount(); ++c)
    table_->setItem(r, c, new QTableWidgetItem(QString()));
  loading_ = false;
  fitHeight();
  table_->setCurrentCell(r, 0);
  table_->editItem(table_->item(r, 0));
}

void TextTable::removeRow() {
  if (table_->rowCount() == 0)
    return;
  const int r = table_->currentRow() >= 0 ? table_->currentRow() : table_->rowCount() - 1;
  table_->removeRow(r);
  fitHeight();
  emitIfEdited();
}

void TextTable::setBrowse(int column, Chooser chooser, const QString& buttonText) {
  browseColumn_ = column;
  chooser_ = std::move(chooser);
  browseButton_->setVisible(true);
  if (!buttonText.isEmpty())
    browseButton_->setText(buttonText);
  browseButton_->setToolTip(tr("Choose the %1 of the selected row").arg(table_->horizontalHeaderItem(column)->text()));
}

void TextTable::browse() {
  if (browseColumn_ < 0 || !chooser_)
    return;
  int r = table_->currentRow();
  const QString current = r >= 0 && table_->item(r, browseColumn_) ? table_->item(r, browseColumn_)->text() : QString();
  const QString chosen = chooser_(current);
  if (chosen.isNull())
    return;
  if (r < 0) {
    addRow();
    r = table_->rowCount() - 1;
  }
  table_->item(r, browseColumn_)->setText(chosen); // itemChanged says `edited`
}

TextTable::Rows rowsFromPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  TextTable::Rows rows;
  for (const auto& [a, b] : pairs)
    rows.push_back({a, b});
  return rows;
}

std::vector<std::pair<std::string, std::string>> pairsFromRows(const TextTable::Rows& rows) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rows)
    out.emplace_back(r.size() > 0 ? r[0] : std::string(), r.size() > 1 ? r[1] : std::string());
  return out;
}

} // namespace umlab::gui
