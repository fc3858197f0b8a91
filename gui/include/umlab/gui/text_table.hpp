#pragma once
/// A small table of text for the property panel's lists of pairs: routes (to, via), files (guest
/// path, host path), sysctls, mounts. Rows are added with "+" (an empty row whose first cell
/// opens for typing) and removed with "−"; a column may have a "Browse…" button that fills the
/// current row's cell from a file dialog. A cell is applied when its editing finishes, as the
/// panel's line edits are, and `edited` says so.
///
/// Values are text, trimmed; the table never refuses one (validation judges them). A row whose
/// cells are all empty is not data: `rows` leaves it out, so a row just added changes nothing
/// until something is typed into it.

#include <QWidget>

#include <functional>
#include <string>
#include <vector>

class QTableWidget;
class QToolButton;

namespace umlab::gui {

class TextTable : public QWidget {
  Q_OBJECT
public:
  using Rows = std::vector<std::vector<std::string>>;
  /// Asked for a path with the current cell's text; returns the new text, or a null QString to
  /// leave it (the panel's choosers open a file dialog).
  using Chooser = std::function<QString(const QString& current)>;

  TextTable(const QStringList& headers, QWidget* parent = nullptr);

  /// Shows `rows`; nothing happens when they are what the table holds already (a cell being
  /// edited keeps its cursor, and a row just added stays).
  void setRows(const Rows& rows);
  Rows rows() const;
  int columnCount() const;

  /// Adds a "Browse…" button that fills `column` with what `chooser` returns.
  void setBrowse(int column, Chooser chooser, const QString& buttonText = {});
  QTableWidget* table() const { return table_; }

public slots:
  /// Appends an empty row and opens its first cell for typing.
  void addRow();
  /// Removes the current row (or the last one, when none is current).
  void removeRow();
  /// Fills the browse column of the current row (or of a new row) from the chooser.
  void browse();

signals:
  void edited();

private:
  void fitHeight();
  /// Says `edited` when the rows differ from those last loaded or said.
  void emitIfEdited();

  QTableWidget* table_ = nullptr;
  QToolButton* browseButton_ = nullptr;
  int browseColumn_ = -1;
  Chooser chooser_;
  Rows shown_; ///< the rows last loaded or announced
  bool loading_ = false;
};

/// KeyValueList <-> rows of two cells.
TextTable::Rows rowsFromPairs(const std::vector<std::pair<std::string, std::string>>& pairs);
std::vector<std::pair<std::string, std::string>> pairsFromRows(const TextTable::Rows& rows);

} // namespace umlab::gui
