#include "umlab/gui/lab_data.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

namespace umlab::gui {

namespace {

template <typename T>
const T* findById(const std::vector<T>& v, ElementId id) {
  if (id == kNoElement)
    return nullptr;
  for (const T& e : v)
    if (e.id == id)
      return &e;
  return nullptr;
}

} // namespace

const NodeData* LabData::findNode(ElementId id) const { return findById(nodes, id); }
const SegmentData* LabData::findSegment(ElementId id) const { return findById(segments, id); }
const LinkData* LabData::findLink(ElementId id) const { return findById(links, id); }

const NodeData* LabData::findNodeByName(std::string_view name) const {
  for (const NodeData& n : nodes)
    if (n.name == name)
      return &n;
  return nullptr;
}

const SegmentData* LabData::findSegmentByName(std::string_view name) const {
  for (const SegmentData& s : segments)
    if (s.name == name)
      return &s;
  return nullptr;
}

ElementKind LabData::kindOf(ElementId id) const {
  if (findById(nodes, id))
    return ElementKind::Node;
  if (findById(segments, id))
    return ElementKind::Segment;
  if (findById(links, id))
    return ElementKind::Link;
  if (findById(monitors, id))
    return ElementKind::Monitor;
  if (findById(replays, id))
    return ElementKind::Replay;
  return ElementKind::None;
}

ElementId LabData::maxId() const {
  ElementId m = kNoElement;
  for (const auto& e : nodes) m = std::max(m, e.id);
  for (const auto& e : segments) m = std::max(m, e.id);
  for (const auto& e : links) m = std::max(m, e.id);
  for (const auto& e : monitors) m = std::max(m, e.id);
  for (const auto& e : replays) m = std::max(m, e.id);
  return m;
}

std::string effectiveKind(const LabData& lab, const NodeData& node) {
  if (!node.settings.kind.empty())
    return node.settings.kind;
  if (lab.defaults && !lab.defaults->kind.empty())
    return lab.defaults->kind;
  return "host";
}

std::string endpointName(const LabData& lab, const EndpointData& end) {
  switch (end.kind) {
  case EndpointData::Kind::Interface:
    if (const NodeData* n = lab.findNode(end.target))
      return n->name;
    return end.name;
  case EndpointData::Kind::Named:
    if (const SegmentData* s = lab.findSegment(end.target))
      return s->name;
    return end.name;
  case EndpointData::Kind::Host:
    return "host";
  }
  return end.name;
}

std::string endpointText(const LabData& lab, const EndpointData& end) {
  if (end.kind == EndpointData::Kind::Interface)
    return endpointName(lab, end) + ":" + end.iface;
  return endpointName(lab, end);
}

LinkShape linkShape(const LinkData& link) {
  using K = EndpointData::Kind;
  const K a = link.ends[0].kind, b = link.ends[1].kind;
  if (a == K::Interface && b == K::Interface)
    return LinkShape::PointToPoint;
  if ((a == K::Interface && b == K::Named) || (a == K::Named && b == K::Interface))
    return LinkShape::ToSegment;
  if ((a == K::Interface && b == K::Host) || (a == K::Host && b == K::Interface))
    return LinkShape::ToHost;
  if (a == K::Named && b == K::Named)
    return LinkShape::Trunk;
  return LinkShape::Unknown;
}

int interfaceEnd(const LinkData& link) {
  return link.ends[0].kind == EndpointData::Kind::Interface || link.ends[1].kind != EndpointData::Kind::Interface ? 0 : 1;
}

namespace {
bool addressedOnEnd(const LinkData& l, int i) {
  const EndpointData& e = l.ends[i];
  return e.isMapping && (linkShape(l) == LinkShape::PointToPoint || !e.ip.empty() || !e.gateway.empty());
}
bool addressedOnLink(const LinkData& l, int i) {
  const LinkShape s = linkShape(l);
  return (s == LinkShape::ToSegment || s == LinkShape::ToHost) && interfaceEnd(l) == i;
}
} // namespace

std::string endAddress(const LinkData& l, int i) {
  if (l.ends[i].kind != EndpointData::Kind::Interface)
    return {};
  if (addressedOnEnd(l, i))
    return l.ends[i].ip;
  return addressedOnLink(l, i) ? l.ip : std::string();
}

std::string endGateway(const LinkData& l, int i) {
  if (l.ends[i].kind != EndpointData::Kind::Interface)
    return {};
  if (addressedOnEnd(l, i))
    return l.ends[i].gateway;
  return addressedOnLink(l, i) ? l.gateway : std::string();
}

void setEndAddressing(LinkData& l, int i, std::string ip, std::string gateway) {
  EndpointData& e = l.ends[i];
  if (e.kind != EndpointData::Kind::Interface)
    return;
  if (addressedOnEnd(l, i) || linkShape(l) == LinkShape::PointToPoint) {
    e.ip = std::move(ip);
    e.gateway = std::move(gateway);
    e.isMapping = e.isMapping || !e.ip.empty() || !e.gateway.empty();
    return;
  }
  if (addressedOnLink(l, i)) {
    l.ip = std::move(ip);
    l.gateway = std::move(gateway);
  }
}

namespace {
bool macOnEnd(const LinkData& l, int i) { return addressedOnEnd(l, i) || (l.ends[i].isMapping && !l.ends[i].mac.empty()); }
} // namespace

std::string endMac(const LinkData& l, int i) {
  if (l.ends[i].kind != EndpointData::Kind::Interface)
    return {};
  if (macOnEnd(l, i))
    return l.ends[i].mac;
  return addressedOnLink(l, i) ? l.mac : std::string();
}

void setEndMac(LinkData& l, int i, std::string mac) {
  EndpointData& e = l.ends[i];
  if (e.kind != EndpointData::Kind::Interface)
    return;
  if (macOnEnd(l, i) || linkShape(l) == LinkShape::PointToPoint) {
    e.mac = std::move(mac);
    e.isMapping = e.isMapping || !e.mac.empty();
    return;
  }
  if (addressedOnLink(l, i))
    l.mac = std::move(mac);
}

std::string firstFreeInterface(const LabData& lab, ElementId node) {
  std::set<std::string> used;
  for (const LinkData& l : lab.links)
    for (const EndpointData& e : l.ends)
      if (e.kind == EndpointData::Kind::Interface && e.target == node)
        used.insert(e.iface);
  for (const MonitorData& m : lab.monitors)
    if (m.node == node)
      used.insert(m.iface);
  for (unsigned i = 0;; ++i) {
    std::string name = "eth" + std::to_string(i);
    if (!used.count(name))
      return name;
  }
}

std::string firstFreeName(const LabData& lab, const std::string& prefix) {
  std::set<std::string> used;
  for (const NodeData& n : lab.nodes)
    used.insert(n.name);
  for (const SegmentData& s : lab.segments)
    used.insert(s.name);
  for (unsigned i = 1;; ++i) {
    std::string name = prefix + std::to_string(i);
    if (!used.count(name))
      return name;
  }
}

std::string namePrefix(const std::string& kind) {
  if (kind == "host") return "pc";
  if (kind == "router") return "r";
  if (kind == "firewall") return "fw";
  if (kind == "switch") return "sw";
  if (kind == "hub") return "hub";
  if (kind == "mcast") return "bus";
  return kind;
}

std::string pathForLab(const std::string& baseDir, const std::string& chosen) {
  namespace fs = std::filesystem;
  if (chosen.empty())
    return chosen;
  const fs::path base = fs::absolute(baseDir.empty() ? fs::path(".") : fs::path(baseDir)).lexically_normal();
  const fs::path target = fs::absolute(chosen).lexically_normal();
  const fs::path rel = target.lexically_relative(base);
  if (rel.empty())
    return target.string();
  auto part = rel.begin();
  if (part != rel.end() && *part == "..")
    ++part;
  // Inside the lab's directory, or in a directory beside it: no further "..".
  for (; part != rel.end(); ++part)
    if (*part == "..")
      return target.string();
  return rel.string();
}

bool rebaseRelativePaths(LabData& lab, const std::string& newBaseDir) {
  namespace fs = std::filesystem;
  const fs::path from = fs::absolute(lab.baseDir.empty() ? fs::path(".") : fs::path(lab.baseDir)).lexically_normal();
  const fs::path to = fs::absolute(newBaseDir.empty() ? fs::path(".") : fs::path(newBaseDir)).lexically_normal();
  bool changed = false;
  auto rebase = [&](std::string& p) {
    if (p.empty() || fs::path(p).is_absolute())
      return;
    fs::path target = (from / p).lexically_normal();
    fs::path rel = target.lexically_relative(to);
    const std::string next = rel.empty() ? target.string() : rel.string();
    changed = changed || next != p;
    p = next;
  };
  if (from != to) {
    auto rebaseSettings = [&](SettingsData& s) {
      for (std::optional<KeyValueList>* list : {&s.files, &s.mounts})
        if (*list)
          for (auto& [guest, host] : **list)
            rebase(host);
    };
    if (lab.defaults)
      rebaseSettings(*lab.defaults);
    for (KindData& k : lab.kinds)
      rebaseSettings(k.settings);
    for (NodeData& n : lab.nodes)
      rebaseSettings(n.settings);
    for (ImageData& i : lab.images)
      for (auto& [guest, host] : i.files)
        rebase(host);
    for (ReplayData& r : lab.replays)
      rebase(r.pcap);
    for (TimelineEntryData& t : lab.timeline)
      for (auto& [key, value] : t.fields)
        if (key == "replay")
          rebase(value);
  }
  lab.baseDir = newBaseDir.empty() ? "." : newBaseDir;
  return changed;
}

} // namespace umlab::gui
