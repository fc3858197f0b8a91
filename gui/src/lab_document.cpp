#include "umlab/gui/lab_document.hpp"

#include <algorithm>

namespace umlab::gui {

ElementId ElementSnapshot::id() const {
  return std::visit([](const auto& e) { return e.id; }, data);
}

ElementKind ElementSnapshot::kind() const {
  static constexpr ElementKind kinds[] = {ElementKind::Node, ElementKind::Segment, ElementKind::Link, ElementKind::Monitor,
                                          ElementKind::Replay};
  return kinds[data.index()];
}

LabDocument::LabDocument(QObject* parent) : QObject(parent) {}

const LabDocument::Slot* LabDocument::slot(ElementId id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &it->second;
}

const NodeData* LabDocument::node(ElementId id) const {
  const Slot* s = slot(id);
  return s && s->kind == ElementKind::Node ? &data_.nodes[s->index] : nullptr;
}
const SegmentData* LabDocument::segment(ElementId id) const {
  const Slot* s = slot(id);
  return s && s->kind == ElementKind::Segment ? &data_.segments[s->index] : nullptr;
}
const LinkData* LabDocument::link(ElementId id) const {
  const Slot* s = slot(id);
  return s && s->kind == ElementKind::Link ? &data_.links[s->index] : nullptr;
}
std::optional<size_t> LabDocument::indexOf(ElementId id) const {
  const Slot* s = slot(id);
  return s ? std::optional<size_t>(s->index) : std::nullopt;
}
const MonitorData* LabDocument::monitor(ElementId id) const {
  const Slot* s = slot(id);
  return s && s->kind == ElementKind::Monitor ? &data_.monitors[s->index] : nullptr;
}
const ReplayData* LabDocument::replay(ElementId id) const {
  const Slot* s = slot(id);
  return s && s->kind == ElementKind::Replay ? &data_.replays[s->index] : nullptr;
}

ElementKind LabDocument::kindOf(ElementId id) const {
  const Slot* s = slot(id);
  return s ? s->kind : ElementKind::None;
}

std::optional<ElementSnapshot> LabDocument::snapshot(ElementId id) const {
  const Slot* s = slot(id);
  if (!s)
    return std::nullopt;
  switch (s->kind) {
  case ElementKind::Node: return ElementSnapshot{data_.nodes[s->index], s->index};
  case ElementKind::Segment: return ElementSnapshot{data_.segments[s->index], s->index};
  case ElementKind::Link: return ElementSnapshot{data_.links[s->index], s->index};
  case ElementKind::Monitor: return ElementSnapshot{data_.monitors[s->index], s->index};
  case ElementKind::Replay: return ElementSnapshot{data_.replays[s->index], s->index};
  case ElementKind::None: break;
  }
  return std::nullopt;
}

std::vector<ElementId> LabDocument::dependents(ElementId id) const {
  std::vector<ElementId> out;
  for (const LinkData& l : data_.links)
    if (l.ends[0].target == id || l.ends[1].target == id)
      out.push_back(l.id);
  for (const MonitorData& m : data_.monitors)
    if (m.node == id || m.mirror == id)
      out.push_back(m.id);
  for (const ReplayData& r : data_.replays)
    if (r.segment == id)
      out.push_back(r.id);
  return out;
}

LabProperties LabDocument::properties() const {
  return LabProperties{data_.name, data_.description, data_.defaults, data_.kinds, data_.images};
}

void LabDocument::reindex() {
  index_.clear();
  auto add = [&](const auto& v, ElementKind k) {
    for (size_t i = 0; i < v.size(); ++i)
      index_[v[i].id] = Slot{k, i};
  };
  add(data_.nodes, ElementKind::Node);
  add(data_.segments, ElementKind::Segment);
  add(data_.links, ElementKind::Link);
  add(data_.monitors, ElementKind::Monitor);
  add(data_.replays, ElementKind::Replay);
}

void LabDocument::relink() {
  auto nodeByName = [&](const std::string& n) {
    const NodeData* d = data_.findNodeByName(n);
    return d ? d->id : kNoElement;
  };
  auto segmentByName = [&](const std::string& n) {
    const SegmentData* d = data_.findSegmentByName(n);
    return d ? d->id : kNoElement;
  };
  for (LinkData& l : data_.links)
    for (EndpointData& e : l.ends) {
      if (e.kind == EndpointData::Kind::Interface && e.target == kNoElement)
        e.target = nodeByName(e.name);
      else if (e.kind == EndpointData::Kind::Named && e.target == kNoElement)
        e.target = segmentByName(e.name);
    }
  for (MonitorData& m : data_.monitors) {
    if (m.node == kNoElement)
      m.node = nodeByName(m.nodeName);
    if (m.mirror == kNoElement)
      m.mirror = segmentByName(m.mirrorName);
  }
  for (ReplayData& r : data_.replays)
    if (r.segment == kNoElement)
      r.segment = segmentByName(r.segmentName);
  for (NodeData& n : data_.nodes)
    for (NodeRef& d : n.dependsOn)
      if (d.node == kNoElement)
        d.node = nodeByName(d.name);
}

void LabDocument::reset(LabData data) {
  data_ = std::move(data);
  lastId_ = std::max(lastId_, data_.maxId());
  reindex();
  emit wasReset();
  emit changed();
}

void LabDocument::insert(const ElementSnapshot& s) {
  auto put = [&](auto& v, const auto& e) {
    v.insert(v.begin() + static_cast<std::ptrdiff_t>(std::min(s.index, v.size())), e);
  };
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, NodeData>) put(data_.nodes, e);
        else if constexpr (std::is_same_v<T, SegmentData>) put(data_.segments, e);
        else if constexpr (std::is_same_v<T, LinkData>) put(data_.links, e);
        else if constexpr (std::is_same_v<T, MonitorData>) put(data_.monitors, e);
        else put(data_.replays, e);
      },
      s.data);
  lastId_ = std::max(lastId_, s.id());
  relink();
  reindex();
  emit elementAdded(s.id());
  emit changed();
}

void LabDocument::remove(ElementId id) {
  const Slot* s = slot(id);
  if (!s)
    return;
  const ElementKind kind = s->kind;
  const size_t i = s->index;
  std::string name;
  switch (kind) {
  case ElementKind::Node: name = data_.nodes[i].name; data_.nodes.erase(data_.nodes.begin() + i); break;
  case ElementKind::Segment: name = data_.segments[i].name; data_.segments.erase(data_.segments.begin() + i); break;
  case ElementKind::Link: data_.links.erase(data_.links.begin() + i); break;
  case ElementKind::Monitor: data_.monitors.erase(data_.monitors.begin() + i); break;
  case ElementKind::Replay: data_.replays.erase(data_.replays.begin() + i); break;
  case ElementKind::None: return;
  }
  // Whatever still refers to it keeps the name, as a file would.
  for (LinkData& l : data_.links)
    for (EndpointData& e : l.ends)
      if (e.target == id) {
        e.target = kNoElement;
        e.name = name;
      }
  for (MonitorData& m : data_.monitors) {
    if (m.node == id) { m.node = kNoElement; m.nodeName = name; }
    if (m.mirror == id) { m.mirror = kNoElement; m.mirrorName = name; }
  }
  for (ReplayData& r : data_.replays)
    if (r.segment == id) { r.segment = kNoElement; r.segmentName = name; }
  for (NodeData& n : data_.nodes)
    for (NodeRef& d : n.dependsOn)
      if (d.node == id) { d.node = kNoElement; d.name = name; }
  reindex();
  emit elementRemoved(id, kind);
  emit changed();
}

void LabDocument::replace(const ElementSnapshot& s) {
  const Slot* slot = this->slot(s.id());
  if (!slot || slot->kind != s.kind())
    return;
  const size_t i = slot->index;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, NodeData>) data_.nodes[i] = e;
        else if constexpr (std::is_same_v<T, SegmentData>) data_.segments[i] = e;
        else if constexpr (std::is_same_v<T, LinkData>) data_.links[i] = e;
        else if constexpr (std::is_same_v<T, MonitorData>) data_.monitors[i] = e;
        else data_.replays[i] = e;
      },
      s.data);
  relink();
  emit elementChanged(s.id());
  emit changed();
}

void LabDocument::setPosition(ElementId id, Position p) {
  const Slot* s = slot(id);
  if (!s)
    return;
  if (s->kind == ElementKind::Node)
    data_.nodes[s->index].position = p;
  else if (s->kind == ElementKind::Segment)
    data_.segments[s->index].position = p;
  else
    return;
  emit elementMoved(id);
  emit changed();
}

void LabDocument::setProperties(const LabProperties& p) {
  data_.name = p.name;
  data_.description = p.description;
  data_.defaults = p.defaults;
  data_.kinds = p.kinds;
  data_.images = p.images;
  emit propertiesChanged();
  emit changed();
}

bool LabDocument::rebase(const std::string& baseDir) {
  const bool changedPaths = rebaseRelativePaths(data_, baseDir);
  emit changed();
  return changedPaths;
}

} // namespace umlab::gui
