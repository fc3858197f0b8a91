#pragma once
/// The text field for a list of shell commands (`startup`, `shutdown`, an image's `run`): one
/// command per line; a line indented by two spaces continues the command above it (a multi-line
/// command, such as a shell loop); blank lines are left out. Like a QLineEdit, it says when
/// editing finished (on leaving it).

#include <QPlainTextEdit>

#include <optional>
#include <string>
#include <vector>

namespace umlab::gui {

/// A plain text field that says when editing finished (on leaving it), as QLineEdit does.
class CommittingTextEdit : public QPlainTextEdit {
  Q_OBJECT
public:
  using QPlainTextEdit::QPlainTextEdit;
signals:
  void editingFinished();

protected:
  void focusOutEvent(QFocusEvent* event) override;
};

/// Commands <-> the text the field shows (see above).
QString startupToText(const std::vector<std::string>& commands);
std::vector<std::string> startupFromText(const QString& text);

/// A command list as the field `edit` now says, given the list it was loaded with: the loaded
/// list itself when the text was not changed (so commands stay as written), else the commands
/// typed. Clearing the text of a list that was there gives an empty list (which clears an
/// inherited one); an empty field for a list that was absent stays absent.
std::optional<std::vector<std::string>> commandsFromEdit(const QPlainTextEdit& edit,
                                                         const std::optional<std::vector<std::string>>& loaded);

/// A monospace field for commands, not wrapping (a wrapped line would look like two commands).
CommittingTextEdit* newCommandEdit(const QString& objectName, int minimumHeight);

} // namespace umlab::gui
