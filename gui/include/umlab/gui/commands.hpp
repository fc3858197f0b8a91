#pragma once
/// The undoable edits of a `LabDocument` (QUndoCommand). Each holds snapshots of what it changes,
/// never pointers into the document, so undo and redo work in any order the stack allows.

#include "umlab/gui/lab_document.hpp"

#include <QUndoCommand>

#include <vector>

namespace umlab::gui {

/// Inserts elements on redo and removes them on undo, or the reverse (`isRemoval`). Snapshots
/// are applied in order on insertion and in reverse order on removal, so indices stay right.
class ElementsCommand : public QUndoCommand {
public:
  ElementsCommand(LabDocument& doc, std::vector<ElementSnapshot> snapshots, bool isRemoval, const QString& text);
  void redo() override;
  void undo() override;

  /// A removal of `ids` and of everything that refers to them (links, monitors, replays).
  static ElementsCommand* removal(LabDocument& doc, const std::vector<ElementId>& ids);

private:
  void insertAll();
  void removeAll();

  LabDocument& doc_;
  std::vector<ElementSnapshot> snapshots_; ///< sorted for insertion: nodes, segments, then the rest, by index
  bool isRemoval_;
};

struct Move {
  ElementId id = kNoElement;
  Position from;
  Position to;
};

class MoveCommand : public QUndoCommand {
public:
  MoveCommand(LabDocument& doc, std::vector<Move> moves, const QString& text);
  void redo() override;
  void undo() override;

private:
  LabDocument& doc_;
  std::vector<Move> moves_;
};

/// Replaces one element's data (same id, same place).
class ReplaceCommand : public QUndoCommand {
public:
  ReplaceCommand(LabDocument& doc, ElementSnapshot before, ElementSnapshot after, const QString& text);
  void redo() override;
  void undo() override;

private:
  LabDocument& doc_;
  ElementSnapshot before_;
  ElementSnapshot after_;
};

class PropertiesCommand : public QUndoCommand {
public:
  PropertiesCommand(LabDocument& doc, LabProperties before, LabProperties after, const QString& text);
  void redo() override;
  void undo() override;

private:
  LabDocument& doc_;
  LabProperties before_;
  LabProperties after_;
};

} // namespace umlab::gui
