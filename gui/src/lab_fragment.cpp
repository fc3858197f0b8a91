#include "umlab/gui/lab_fragment.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

namespace umlab::gui {

Fragment copyFragment(const LabData& lab, const std::vector<ElementId>& selection) {
  std::set<ElementId> chosen, selectedOthers;
  for (ElementId id : selection) {
    const ElementKind k = lab.kindOf(id);
    (k == ElementKind::Node || k == ElementKind::Segment ? chosen : selectedOthers).insert(id);
  }
  Fragment f;
  f.lab.name = lab.name;
  f.lab.baseDir = std::filesystem::absolute(lab.baseDir.empty() ? "." : lab.baseDir).lexically_normal().string();
  for (const NodeData& n : lab.nodes) {
    if (!chosen.count(n.id))
      continue;
    NodeData copy = n;
    for (NodeRef& r : copy.dependsOn)
      if (!chosen.count(r.node)) { // a node not copied: by name, as a file names it
        if (const NodeData* d = lab.findNode(r.node))
          r.name = d->name;
        r.node = kNoElement;
      }
    f.lab.nodes.push_back(std::move(copy));
  }
  for (const SegmentData& s : lab.segments)
    if (chosen.count(s.id))
      f.lab.segments.push_back(s);
  auto isCopied = [&](const EndpointData& e) { return e.kind != EndpointData::Kind::Host && chosen.count(e.target); };
  for (const LinkData& l : lab.links) {
    const bool a = isCopied(l.ends[0]), b = isCopied(l.ends[1]);
    const bool aFits = a || l.ends[0].kind == EndpointData::Kind::Host, bFits = b || l.ends[1].kind == EndpointData::Kind::Host;
    if ((a || b) && aFits && bFits)
      f.lab.links.push_back(l);
    else if (a || b || selectedOthers.count(l.id))
      ++f.droppedLinks;
  }
  for (const MonitorData& m : lab.monitors) {
    if (chosen.count(m.node) && chosen.count(m.mirror))
      f.lab.monitors.push_back(m);
    else if (chosen.count(m.node) || chosen.count(m.mirror) || selectedOthers.count(m.id))
      ++f.droppedLinks;
  }
  for (const ReplayData& r : lab.replays)
    if (chosen.count(r.segment))
      f.lab.replays.push_back(r);
  return f;
}

namespace {

/// "10.0.0.1" for "10.0.0.1/24": what must not be used twice.
std::string addressKey(const std::string& text) {
  if (auto p = IpPrefix::parse(text))
    return p->address().str();
  if (auto a = IpAddress::parse(text))
    return a->str();
  return text;
}

std::string macKey(const std::string& text) {
  auto m = MacAddress::parse(text);
  return m ? m->str() : text;
}

/// Names: the fragment's own where free, else the first free one with the same stem.
void rename(const LabData& lab, LabData& f) {
  std::set<std::string> used;
  for (const NodeData& n : lab.nodes)
    used.insert(n.name);
  for (const SegmentData& s : lab.segments)
    used.insert(s.name);
  std::vector<std::string*> clashing;
  std::vector<std::string> prefixes;
  auto reserve = [&](std::string& name, std::string prefix) {
    if (!name.empty() && used.insert(name).second)
      return;
    clashing.push_back(&name);
    prefixes.push_back(std::move(prefix));
  };
  for (NodeData& n : f.nodes)
    reserve(n.name, namePrefix(effectiveKind(lab, n)));
  for (SegmentData& s : f.segments)
    reserve(s.name, namePrefix(s.type.empty() ? "switch" : s.type));
  for (size_t i = 0; i < clashing.size(); ++i) {
    std::string stem = *clashing[i];
    while (!stem.empty() && std::isdigit(static_cast<unsigned char>(stem.back())))
      stem.pop_back();
    if (stem.empty())
      stem = prefixes[i];
    for (unsigned k = 1;; ++k)
      if (std::string name = stem + std::to_string(k); used.insert(name).second) {
        *clashing[i] = std::move(name);
        break;
      }
  }
}

/// Explicit MACs and interface addresses the lab uses already are dropped.
void dropClashes(const LabData& lab, LabData& f) {
  std::set<std::string> macs, addresses;
  for (const LinkData& l : lab.links)
    for (int i = 0; i < 2; ++i) {
      if (const std::string m = endMac(l, i); !m.empty())
        macs.insert(macKey(m));
      if (const std::string a = endAddress(l, i); !a.empty())
        addresses.insert(addressKey(a));
    }
  for (const MonitorData& m : lab.monitors)
    if (!m.mac.empty())
      macs.insert(macKey(m.mac));
  for (LinkData& l : f.links)
    for (int i = 0; i < 2; ++i) {
      if (const std::string m = endMac(l, i); !m.empty() && !macs.insert(macKey(m)).second)
        setEndMac(l, i, "");
      if (const std::string a = endAddress(l, i); !a.empty() && !addresses.insert(addressKey(a)).second)
        setEndAddressing(l, i, "", "");
    }
  for (MonitorData& m : f.monitors)
    if (!m.mac.empty() && !macs.insert(macKey(m.mac)).second)
      m.mac.clear();
}

/// A route whose gateway is on none of its node's networks once the copy is placed (its address
/// was dropped as a clash, or its link was not copied) is dropped: the lab would not validate
/// with it.
void dropOrphanRoutes(LabData& f) {
  std::map<ElementId, std::vector<IpPrefix>> prefixes;
  for (const LinkData& l : f.links)
    for (int i = 0; i < 2; ++i)
      if (const std::string a = endAddress(l, i); !a.empty())
        if (std::optional<IpPrefix> p = IpPrefix::parse(a))
          prefixes[l.ends[i].target].push_back(*p);
  for (NodeData& n : f.nodes) {
    const std::vector<IpPrefix>& mine = prefixes[n.id];
    std::erase_if(n.routes, [&](const RouteData& r) {
      const std::optional<IpAddress> via = IpAddress::parse(r.via);
      return via && std::none_of(mine.begin(), mine.end(), [&](const IpPrefix& p) { return p.contains(*via); });
    });
  }
}

/// Positions: centred on `centre`, or the first whole step down and right where nothing pasted
/// covers an element of the lab.
void place(const LabData& lab, LabData& f, std::optional<Position> centre) {
  std::vector<Position*> mine;
  for (NodeData& n : f.nodes)
    mine.push_back(&n.position);
  for (SegmentData& s : f.segments)
    mine.push_back(&s.position);
  if (mine.empty())
    return;
  double dx = 0, dy = 0;
  if (centre) {
    double left = 1e18, top = 1e18, right = -1e18, bottom = -1e18;
    for (const Position* p : mine) {
      left = std::min(left, p->x);
      right = std::max(right, p->x);
      top = std::min(top, p->y);
      bottom = std::max(bottom, p->y);
    }
    dx = std::round(centre->x - (left + right) / 2);
    dy = std::round(centre->y - (top + bottom) / 2);
  } else {
    // The lab's elements in cells as wide as the distance that counts as covering, so that a
    // position is checked against the nine cells around it only.
    constexpr double kClear = kPasteStep * 0.75;
    auto cellOf = [](double v) { return static_cast<int64_t>(std::floor(v / kClear)); };
    auto key = [](int64_t cx, int64_t cy) { return (cx << 32) ^ (cy & 0xffffffff); };
    std::unordered_multimap<int64_t, Position> cells;
    auto add = [&](Position p) { cells.emplace(key(cellOf(p.x), cellOf(p.y)), p); };
    for (const NodeData& n : lab.nodes)
      add(n.position);
    for (const SegmentData& s : lab.segments)
      add(s.position);
    auto covers = [&](double ox, double oy) {
      for (const Position* p : mine) {
        const double x = p->x + ox, y = p->y + oy;
        for (int64_t cx = cellOf(x) - 1; cx <= cellOf(x) + 1; ++cx)
          for (int64_t cy = cellOf(y) - 1; cy <= cellOf(y) + 1; ++cy) {
            auto [from, to] = cells.equal_range(key(cx, cy));
            for (auto it = from; it != to; ++it)
              if (std::abs(it->second.x - x) < kClear && std::abs(it->second.y - y) < kClear)
                return true;
          }
      }
      return false;
    };
    for (int k = 0; k < 100000 && covers(dx, dy); ++k) {
      dx += kPasteStep;
      dy += kPasteStep;
    }
  }
  for (Position* p : mine)
    *p = Position{p->x + dx, p->y + dy};
}

} // namespace

LabData placeFragment(const LabData& lab, LabData f, const std::function<ElementId()>& newId, std::optional<Position> centre) {
  std::map<ElementId, ElementId> ids;
  auto renew = [&](auto& elements) {
    for (auto& e : elements) {
      const ElementId fresh = newId();
      ids[e.id] = fresh;
      e.id = fresh;
    }
  };
  renew(f.nodes);
  renew(f.segments);
  renew(f.links);
  renew(f.monitors);
  renew(f.replays);
  auto mapped = [&](ElementId& id) {
    if (id == kNoElement)
      return;
    auto it = ids.find(id);
    id = it == ids.end() ? kNoElement : it->second;
  };
  for (NodeData& n : f.nodes)
    for (NodeRef& r : n.dependsOn)
      mapped(r.node);
  for (LinkData& l : f.links)
    for (EndpointData& e : l.ends)
      if (e.kind != EndpointData::Kind::Host)
        mapped(e.target);
  for (MonitorData& m : f.monitors) {
    mapped(m.node);
    mapped(m.mirror);
  }
  for (ReplayData& r : f.replays)
    mapped(r.segment);
  rename(lab, f);
  dropClashes(lab, f);
  dropOrphanRoutes(f);
  rebaseRelativePaths(f, lab.baseDir);
  place(lab, f, centre);
  return f;
}

} // namespace umlab::gui
