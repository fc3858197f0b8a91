#pragma once
/// The open lab: a `LabData` behind an interface that says what changed.
///
/// Everything that draws or shows the lab listens to these signals and reads the data back by
/// `ElementId`; nothing else holds model data (Qt's diagramscene shape, STYLE.md §9.7). The
/// mutators are meant for the undo commands (commands.hpp): other code edits through
/// `LabEditor`, so that every change can be undone.

#include "umlab/gui/lab_data.hpp"

#include <QObject>

#include <unordered_map>
#include <variant>

namespace umlab::gui {

/// The lab-wide settings: what the panel shows when nothing is selected.
struct LabProperties {
  std::string name;
  std::string description;
  std::optional<SettingsData> defaults;
  std::vector<KindData> kinds;
  std::vector<ImageData> images;
  friend bool operator==(const LabProperties&, const LabProperties&) = default;
};

/// One element with its place in its list, so that it can be put back where it was.
struct ElementSnapshot {
  std::variant<NodeData, SegmentData, LinkData, MonitorData, ReplayData> data;
  size_t index = 0;
  ElementId id() const;
  ElementKind kind() const;
};

class LabDocument : public QObject {
  Q_OBJECT
public:
  explicit LabDocument(QObject* parent = nullptr);

  const LabData& data() const { return data_; }

  const NodeData* node(ElementId id) const;
  const SegmentData* segment(ElementId id) const;
  const LinkData* link(ElementId id) const;
  const MonitorData* monitor(ElementId id) const;
  const ReplayData* replay(ElementId id) const;
  ElementKind kindOf(ElementId id) const;
  /// The element's place in its list (file order), or nullopt.
  std::optional<size_t> indexOf(ElementId id) const;
  /// The element as a snapshot (with its index); nullopt when there is none.
  std::optional<ElementSnapshot> snapshot(ElementId id) const;
  /// The links, monitors and replays that refer to `id` (a node or segment), in file order.
  std::vector<ElementId> dependents(ElementId id) const;
  LabProperties properties() const;

  /// A fresh id, never used in this document.
  ElementId newId() { return ++lastId_; }

  // ---- mutators (for undo commands) ----------------------------------------------------
  /// Replaces the whole lab (open, new); emits `reset`.
  void reset(LabData data);
  /// Inserts the snapshot's element at its index; emits `elementAdded`.
  void insert(const ElementSnapshot& s);
  /// Removes an element; emits `elementRemoved` after it is gone.
  void remove(ElementId id);
  /// Replaces an element's data (same id, same place); emits `elementChanged`.
  void replace(const ElementSnapshot& s);
  void setPosition(ElementId id, Position p);
  void setProperties(const LabProperties& p);
  /// Where relative paths start; changes when the file is saved elsewhere. Returns whether a
  /// path of the lab changed.
  bool rebase(const std::string& baseDir);

signals:
  void wasReset();
  void elementAdded(umlab::gui::ElementId id);
  void elementRemoved(umlab::gui::ElementId id, umlab::gui::ElementKind kind);
  void elementChanged(umlab::gui::ElementId id);
  void elementMoved(umlab::gui::ElementId id);
  void propertiesChanged();
  /// After any of the above.
  void changed();

private:
  struct Slot {
    ElementKind kind = ElementKind::None;
    size_t index = 0;
  };
  const Slot* slot(ElementId id) const;
  void reindex();
  /// Links, monitors and replays that named `id` by its old name now name it by id again, and
  /// ones that named an element that is gone keep its name (so nothing dangles silently).
  void relink();

  LabData data_;
  std::unordered_map<ElementId, Slot> index_;
  ElementId lastId_ = 0;
};

} // namespace umlab::gui
