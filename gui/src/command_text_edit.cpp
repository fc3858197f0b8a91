#include "umlab/gui/command_text_edit.hpp"

#include <QStringList>

namespace umlab::gui {

void CommittingTextEdit::focusOutEvent(QFocusEvent* event) {
  QPlainTextEdit::focusOutEvent(event);
  emit editingFinished();
}

QString startupToText(const std::vector<std::string>& commands) {
  QStringList lines;
  for (const std::string& c : commands) {
    QString cmd = QString::fromStdString(c);
    if (cmd.endsWith('\n'))
      cmd.chop(1);
    const QStringList parts = cmd.split('\n');
    for (int i = 0; i < parts.size(); ++i)
      lines << (i == 0 ? parts[i] : "  " + parts[i]);
  }
  return lines.join('\n');
}

std::vector<std::string> startupFromText(const QString& text) {
  std::vector<std::string> out;
  for (const QString& line : text.split('\n')) {
    if (line.trimmed().isEmpty())
      continue;
    if (line.startsWith("  ") && !out.empty()) {
      out.back() += "\n" + line.mid(2).toStdString();
      continue;
    }
    out.push_back(line.trimmed().toStdString());
  }
  // A multi-line command ends with a newline, as a YAML literal block does.
  for (std::string& c : out)
    if (c.find('\n') != std::string::npos)
      c += '\n';
  return out;
}

std::optional<std::vector<std::string>> commandsFromEdit(const QPlainTextEdit& edit,
                                                         const std::optional<std::vector<std::string>>& loaded) {
  const QString shown = loaded ? startupToText(*loaded) : QString();
  if (edit.toPlainText() == shown)
    return loaded;
  std::vector<std::string> commands = startupFromText(edit.toPlainText());
  if (commands.empty() && !loaded)
    return std::nullopt;
  return commands;
}

CommittingTextEdit* newCommandEdit(const QString& objectName, int minimumHeight) {
  auto* e = new CommittingTextEdit;
  e->setObjectName(objectName);
  e->setFont(QFont(QStringLiteral("DejaVu Sans Mono")));
  e->setMinimumHeight(minimumHeight);
  e->setLineWrapMode(QPlainTextEdit::NoWrap);
  return e;
}

} // namespace umlab::gui
