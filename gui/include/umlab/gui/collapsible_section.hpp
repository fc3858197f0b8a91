#pragma once
/// A titled part of the property panel that folds away: a flat header button with an arrow and
/// the section's title (with a count, "Routes (2)"), above a content widget shown only while the
/// section is expanded. It keeps the panel short for the lists most elements leave empty.

#include <QWidget>

class QToolButton;

namespace umlab::gui {

class CollapsibleSection : public QWidget {
  Q_OBJECT
public:
  /// Takes ownership of `content`. The section starts collapsed.
  CollapsibleSection(const QString& title, QWidget* content, QWidget* parent = nullptr);

  void setTitle(const QString& title);
  QString title() const;
  bool isExpanded() const;
  QWidget* content() const { return content_; }

public slots:
  void setExpanded(bool expanded);

signals:
  void expandedChanged(bool expanded);

private:
  QToolButton* header_ = nullptr;
  QWidget* content_ = nullptr;
};

/// "Files" with a count: "Files (3)", or "Files" for none.
QString titleWithCount(const QString& title, size_t count);

} // namespace umlab::gui
