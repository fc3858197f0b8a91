#include "umlab/gui/commands.hpp"

#include <algorithm>
#include <set>

namespace umlab::gui {

namespace {

/// Insertion order: what others refer to first, then by index within each list.
int rank(ElementKind k) {
  switch (k) {
  case ElementKind::Node: return 0;
  case ElementKind::Segment: return 1;
  case ElementKind::Link: return 2;
  case ElementKind::Monitor: return 3;
  case ElementKind::Replay: return 4;
  case ElementKind::None: break;
  }
  return 5;
}

} // namespace

ElementsCommand::ElementsCommand(LabDocument& doc, std::vector<ElementSnapshot> snapshots, bool isRemoval,
                                 const QString& text)
    : QUndoCommand(text), doc_(doc), snapshots_(std::move(snapshots)), isRemoval_(isRemoval) {
  std::stable_sort(snapshots_.begin(), snapshots_.end(), [](const ElementSnapshot& a, const ElementSnapshot& b) {
    return std::pair(rank(a.kind()), a.index) < std::pair(rank(b.kind()), b.index);
  });
}

void ElementsCommand::insertAll() {
  for (const ElementSnapshot& s : snapshots_)
    doc_.insert(s);
}

void ElementsCommand::removeAll() {
  for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it)
    doc_.remove(it->id());
}

void ElementsCommand::redo() { isRemoval_ ? removeAll() : insertAll(); }
void ElementsCommand::undo() { isRemoval_ ? insertAll() : removeAll(); }

ElementsCommand* ElementsCommand::removal(LabDocument& doc, const std::vector<ElementId>& ids) {
  std::set<ElementId> all;
  for (ElementId id : ids) {
    if (doc.kindOf(id) == ElementKind::None)
      continue;
    all.insert(id);
    for (ElementId d : doc.dependents(id))
      all.insert(d);
  }
  std::vector<ElementSnapshot> snaps;
  for (ElementId id : all)
    snaps.push_back(*doc.snapshot(id));
  const QString text = all.size() == 1 ? QStringLiteral("Delete") : QStringLiteral("Delete %1 items").arg(all.size());
  return new ElementsCommand(doc, std::move(snaps), true, text);
}

MoveCommand::MoveCommand(LabDocument& doc, std::vector<Move> moves, const QString& text)
    : QUndoCommand(text), doc_(doc), moves_(std::move(moves)) {}

void MoveCommand::redo() {
  for (const Move& m : moves_)
    doc_.setPosition(m.id, m.to);
}

void MoveCommand::undo() {
  for (const Move& m : moves_)
    doc_.setPosition(m.id, m.from);
}

ReplaceCommand::ReplaceCommand(LabDocument& doc, ElementSnapshot before, ElementSnapshot after, const QString& text)
    : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)) {}

void ReplaceCommand::redo() { doc_.replace(after_); }
void ReplaceCommand::undo() { doc_.replace(before_); }

PropertiesCommand::PropertiesCommand(LabDocument& doc, LabProperties before, LabProperties after, const QString& text)
    : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)) {}

void PropertiesCommand::redo() { doc_.setProperties(after_); }
void PropertiesCommand::undo() { doc_.setProperties(before_); }

} // namespace umlab::gui
