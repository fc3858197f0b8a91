#include "umlab/lab/compile/load.hpp"

#include "umlab/base/spelling.hpp"
#include "umlab/lab/yaml/loader.hpp"

#include "load_images.hpp"

#include <filesystem>

namespace umlab::lab {

namespace {

using yaml::Document;
using yaml::Node;
using yaml::NodeKind;

/// Reads one mapping against a fixed key list: unknown keys are errors with a suggestion.
class MapReader {
public:
  MapReader(const Document& doc, const Node& map, std::string what, std::vector<std::string> keys, Diagnostics& diags)
      : doc_(doc), map_(map), what_(std::move(what)), diags_(diags) {
    for (const auto& [key, id] : map.entries) {
      bool known = false;
      for (const std::string& k : keys)
        known = known || k == key.text;
      if (!known)
        diags_.error(key.loc, "unknown key '" + key.text + "' in " + what_ + didYouMean(key.text, keys));
    }
  }

  const Node* get(std::string_view key) const {
    for (const auto& [k, id] : map_.entries)
      if (k.text == key)
        return &doc_.node(id);
    return nullptr;
  }
  const yaml::Key* keyOf(std::string_view key) const {
    for (const auto& [k, id] : map_.entries)
      if (k.text == key)
        return &k;
    return nullptr;
  }
  const std::string& what() const { return what_; }

  /// A scalar value; `expect` describes the form for the error ("a size such as '96M'").
  RawScalar scalar(std::string_view key, std::string_view expect) const {
    const Node* n = get(key);
    if (!n || n->kind == NodeKind::Null)
      return {};
    if (n->kind != NodeKind::Scalar) {
      diags_.error(n->loc, "'" + std::string(key) + "' of " + what_ + " must be " + std::string(expect) + ", not " +
                               describe(*n));
      return {};
    }
    return RawScalar{n->scalar, n->loc, true, n->quoted};
  }

private:
  const Document& doc_;
  const Node& map_;
  std::string what_;
  Diagnostics& diags_;
};

class Reader {
public:
  Reader(const Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  std::optional<RawTopology> read(const std::string& path) {
    const Node& root = doc_.root();
    RawTopology t;
    t.path = path;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    t.baseDir = parent.empty() ? "." : parent.string();
    t.loc = root.loc;
    if (root.kind != NodeKind::Mapping) {
      diags_.error(root.loc, std::string("a topology is a mapping with keys such as 'name', 'nodes' and 'links', not ") +
                                 describe(root));
      return std::nullopt;
    }
    MapReader top(doc_, root, "the topology",
                  {"name", "description", "defaults", "kinds", "nodes", "segments", "links", "monitors", "replays",
                   "images", "timeline"},
                  diags_);
    t.name = top.scalar("name", "the lab's name");
    if (const Node* name = top.get("name"); !name)
      diags_.error(root.loc, "missing required key 'name'; give the lab a name such as 'name: " + suggestName(path) + "'");
    else if (name->kind == NodeKind::Null)
      diags_.error(top.keyOf("name")->loc, "'name' is empty; give the lab a name such as 'name: " + suggestName(path) + "'");
    t.description = top.scalar("description", "text");
    if (const Node* n = mappingOrNull(top, "defaults", "a mapping of settings such as '{memory: 96M}'"))
      readSettings(*n, "'defaults'", true, t.defaults);
    if (const Node* n = mappingOrNull(top, "kinds", "a mapping of kind names to settings"))
      for (const auto& [key, id] : n->entries) {
        RawKind k;
        k.name = RawScalar{key.text, key.loc, true, false};
        const Node& v = doc_.node(id);
        if (v.kind == NodeKind::Mapping)
          readSettings(v, "kind '" + key.text + "'", false, k.settings);
        else if (v.kind != NodeKind::Null)
          expected(v, "kind '" + key.text + "'", "a mapping of settings");
        t.kinds.push_back(std::move(k));
      }
    if (const Node* n = mappingOrNull(top, "nodes", "a mapping of node names to settings, as in 'nodes: {pc1: {}}'")) {
      t.nodesLoc = top.keyOf("nodes")->loc;
      for (const auto& [key, id] : n->entries)
        t.nodes.push_back(readNode(key, doc_.node(id)));
      if (n->entries.empty())
        diags_.error(n->loc, "'nodes' is empty; a lab needs at least one node, as in 'nodes: {pc1: {}}'");
    } else if (!top.get("nodes")) {
      diags_.error(root.loc, "missing required key 'nodes'; a lab needs at least one node, as in 'nodes: {pc1: {}}'");
    } else if (top.get("nodes")->kind == NodeKind::Null) {
      diags_.error(top.get("nodes")->loc, "'nodes' is empty; a lab needs at least one node, as in 'nodes: {pc1: {}}'");
    }
    if (const Node* n = mappingOrNull(top, "segments", "a mapping of segment names to settings, as in 'segments: {lan: {type: switch}}'")) {
      t.segmentsLoc = top.keyOf("segments")->loc;
      for (const auto& [key, id] : n->entries)
        t.segments.push_back(readSegment(key, doc_.node(id)));
    }
    if (const Node* n = listOrNull(top, "links"))
      for (size_t i = 0; i < n->items.size(); ++i)
        if (auto l = readLink(doc_.node(n->items[i]), i + 1))
          t.links.push_back(std::move(*l));
    if (const Node* n = listOrNull(top, "monitors"))
      for (size_t i = 0; i < n->items.size(); ++i)
        if (auto m = readMonitor(doc_.node(n->items[i]), i + 1))
          t.monitors.push_back(std::move(*m));
    if (const Node* n = listOrNull(top, "replays"))
      for (size_t i = 0; i < n->items.size(); ++i)
        if (auto r = readReplay(doc_.node(n->items[i]), i + 1))
          t.replays.push_back(std::move(*r));
    if (const Node* n = listOrNull(top, "timeline"))
      for (size_t i = 0; i < n->items.size(); ++i)
        if (auto e = readTimelineEvent(doc_.node(n->items[i]), i + 1))
          t.timeline.push_back(std::move(*e));
    if (const Node* n = top.get("images"))
      readRawImages(doc_, *n, diags_, t.images);
    return t;
  }

private:
  static std::string suggestName(const std::string& path) {
    std::string stem = std::filesystem::path(path).stem().string();
    return stem.empty() ? "lab" : stem;
  }

  void expected(const Node& n, const std::string& what, std::string_view expect) {
    diags_.error(n.loc, what + " must be " + std::string(expect) + ", not " + describe(n));
  }

  const Node* mappingOrNull(const MapReader& m, std::string_view key, std::string_view expect) {
    const Node* n = m.get(key);
    if (!n || n->kind == NodeKind::Null)
      return nullptr;
    if (n->kind != NodeKind::Mapping) {
      expected(*n, "'" + std::string(key) + "'", expect);
      return nullptr;
    }
    return n;
  }

  const Node* listOrNull(const MapReader& m, std::string_view key) {
    const Node* n = m.get(key);
    if (!n || n->kind == NodeKind::Null)
      return nullptr;
    if (n->kind != NodeKind::Sequence) {
      expected(*n, "'" + std::string(key) + "'", "a list");
      return nullptr;
    }
    return n;
  }

  void readSettings(const Node& n, const std::string& what, bool allowKind, RawSettings& s) {
    std::vector<std::string> keys{"memory", "image", "kernel", "startup", "shutdown", "files", "forwarding", "sysctls", "mounts"};
    if (allowKind)
      keys.insert(keys.begin(), "kind");
    MapReader m(doc_, n, what, keys, diags_);
    readSettingsFrom(m, allowKind, s);
  }

  void readSettingsFrom(const MapReader& m, bool allowKind, RawSettings& s) {
    if (allowKind)
      s.kind = m.scalar("kind", "a kind name such as 'router'");
    s.memory = m.scalar("memory", "a size such as '96M'");
    s.image = m.scalar("image", "an image name");
    s.kernel = m.scalar("kernel", "'debian' or 'umlab'");
    s.forwarding = m.scalar("forwarding", "true or false");
    readCommands(m, "startup", s.startup, s.startupLoc);
    readCommands(m, "shutdown", s.shutdown, s.shutdownLoc);
    readPathMap(m, "files", "file", "a path on the host", "a mapping of guest paths to host paths", s.files);
    readPathMap(m, "sysctls", "sysctl", "a value such as '1'", "a mapping of sysctl names to values, such as "
                "'{net.ipv4.conf.all.rp_filter: 0}'", s.sysctls);
    readPathMap(m, "mounts", "mount", "a directory on the host", "a mapping of a guest directory to a host directory, such as "
                "'{/shared: shared}'", s.mounts);
  }

  /// A list of shell commands, or one command as a string (`startup`, `shutdown`).
  void readCommands(const MapReader& m, const char* key, std::optional<std::vector<RawScalar>>& out, SourceLoc& loc) {
    const Node* st = m.get(key);
    if (!st)
      return;
    loc = st->loc;
    if (st->kind == NodeKind::Scalar) {
      out = std::vector<RawScalar>{RawScalar{st->scalar, st->loc, true, st->quoted}};
    } else if (st->kind == NodeKind::Sequence) {
      out.emplace();
      for (yaml::NodeId id : st->items) {
        const Node& c = doc_.node(id);
        if (c.kind == NodeKind::Scalar)
          out->push_back(RawScalar{c.scalar, c.loc, true, c.quoted});
        else
          expected(c, std::string("a ") + key + " command of " + m.what(), "a string");
      }
    } else if (st->kind == NodeKind::Null) {
      out.emplace();
    } else {
      expected(*st, "'" + std::string(key) + "' of " + m.what(), "a list of shell commands");
    }
  }

  /// A mapping of scalars to scalars, in file order (`files`, `sysctls`, `mounts`).
  void readPathMap(const MapReader& m, const char* key, const char* entry, const std::string& valueForm, const std::string& form,
                   std::optional<std::vector<RawFile>>& out) {
    const Node* f = m.get(key);
    if (!f)
      return;
    if (f->kind == NodeKind::Mapping) {
      out.emplace();
      for (const auto& [k, id] : f->entries) {
        const Node& v = doc_.node(id);
        if (v.kind != NodeKind::Scalar) {
          expected(v, std::string(entry) + " '" + k.text + "' of " + m.what(), valueForm);
          continue;
        }
        out->push_back(RawFile{RawScalar{k.text, k.loc, true, false}, RawScalar{v.scalar, v.loc, true, v.quoted}});
      }
    } else if (f->kind == NodeKind::Null) {
      out.emplace();
    } else {
      expected(*f, "'" + std::string(key) + "' of " + m.what(), form);
    }
  }

  RawLayout readLayout(const MapReader& m) {
    RawLayout l;
    const Node* n = m.get("layout");
    if (!n || n->kind == NodeKind::Null)
      return l;
    if (n->kind != NodeKind::Mapping) {
      expected(*n, "'layout' of " + m.what(), "a mapping such as '{x: 100, y: 40}'");
      return l;
    }
    MapReader lm(doc_, *n, "the layout of " + m.what(), {"x", "y"}, diags_);
    l.x = lm.scalar("x", "a number");
    l.y = lm.scalar("y", "a number");
    l.loc = n->loc;
    l.present = true;
    return l;
  }

  RawNode readNode(const yaml::Key& key, const Node& n) {
    RawNode node;
    node.name = RawScalar{key.text, key.loc, true, false};
    if (n.kind == NodeKind::Null)
      return node;
    if (n.kind != NodeKind::Mapping) {
      expected(n, "node '" + key.text + "'", "a mapping of settings (use '{}' for none)");
      return node;
    }
    MapReader m(doc_, n, "node '" + key.text + "'",
                {"kind", "description", "memory", "image", "kernel", "startup", "shutdown", "files", "forwarding", "sysctls", "mounts",
                 "depends-on", "routes", "layout"},
                diags_);
    node.description = m.scalar("description", "text");
    readSettingsFrom(m, true, node.settings);
    if (const Node* r = listOrNull(m, "routes"))
      for (yaml::NodeId id : r->items) {
        const Node& rn = doc_.node(id);
        if (rn.kind != NodeKind::Mapping) {
          expected(rn, "a route of node '" + key.text + "'", "a mapping such as '{to: 10.0.2.0/24, via: 10.0.0.1}'");
          continue;
        }
        MapReader rm(doc_, rn, "a route of node '" + key.text + "'", {"to", "via"}, diags_);
        RawRoute route{rm.scalar("to", "a prefix such as '10.0.2.0/24' or 'default'"),
                       rm.scalar("via", "an address such as '10.0.0.1'"), rn.loc};
        if (!route.to)
          diags_.error(rn.loc, "a route of node '" + key.text + "' needs 'to'");
        if (!route.via)
          diags_.error(rn.loc, "a route of node '" + key.text + "' needs 'via'");
        node.routes.push_back(std::move(route));
      }
    if (const Node* d = m.get("depends-on")) {
      if (d->kind == NodeKind::Scalar) {
        node.dependsOn.push_back(RawScalar{d->scalar, d->loc, true, d->quoted});
      } else if (d->kind == NodeKind::Sequence) {
        for (yaml::NodeId id : d->items) {
          const Node& c = doc_.node(id);
          if (c.kind == NodeKind::Scalar)
            node.dependsOn.push_back(RawScalar{c.scalar, c.loc, true, c.quoted});
          else
            expected(c, "an entry of 'depends-on' of node '" + key.text + "'", "a node name");
        }
      } else if (d->kind != NodeKind::Null) {
        expected(*d, "'depends-on' of node '" + key.text + "'", "a list of node names");
      }
    }
    node.layout = readLayout(m);
    return node;
  }

  RawSegment readSegment(const yaml::Key& key, const Node& n) {
    RawSegment s;
    s.name = RawScalar{key.text, key.loc, true, false};
    if (n.kind == NodeKind::Null)
      return s;
    if (n.kind == NodeKind::Scalar) { // shorthand: `lan: switch`
      s.type = RawScalar{n.scalar, n.loc, true, n.quoted};
      return s;
    }
    if (n.kind != NodeKind::Mapping) {
      expected(n, "segment '" + key.text + "'", "a mapping such as '{type: switch}'");
      return s;
    }
    MapReader m(doc_, n, "segment '" + key.text + "'", {"type", "transport", "description", "injected", "layout"}, diags_);
    s.type = m.scalar("type", "one of 'switch', 'hub' or 'mcast'");
    s.transport = m.scalar("transport", "'daemon' or 'bess'");
    s.description = m.scalar("description", "text");
    s.injected = m.scalar("injected", "true or false");
    s.layout = readLayout(m);
    return s;
  }

  std::optional<RawLink> readLink(const Node& n, size_t index) {
    const std::string what = "link " + std::to_string(index);
    if (n.kind != NodeKind::Mapping) {
      expected(n, what, "a mapping such as '{endpoints: [pc1:eth0, lan]}'");
      return std::nullopt;
    }
    MapReader m(doc_, n, what,
                {"endpoints", "ip", "gateway", "mac", "delay", "jitter", "loss", "rate", "duplicate", "corrupt"}, diags_);
    RawLink l;
    l.loc = n.loc;
    l.number = index;
    l.ip = m.scalar("ip", "a prefix such as '10.0.0.1/24'");
    l.gateway = m.scalar("gateway", "an address such as '10.0.0.1'");
    l.mac = m.scalar("mac", "a MAC address such as '02:00:00:00:00:01'");
    l.delay = m.scalar("delay", "a duration such as '5ms'");
    l.jitter = m.scalar("jitter", "a duration such as '1ms'");
    l.loss = m.scalar("loss", "a percentage such as '0.5%'");
    l.rate = m.scalar("rate", "a rate such as '10mbit'");
    l.duplicate = m.scalar("duplicate", "a percentage such as '0.5%'");
    l.corrupt = m.scalar("corrupt", "a percentage such as '0.5%'");
    const Node* ep = m.get("endpoints");
    if (!ep || ep->kind == NodeKind::Null) {
      diags_.error(n.loc, what + " needs 'endpoints', as in 'endpoints: [pc1:eth0, lan]'");
      return std::nullopt;
    }
    l.endpointsLoc = ep->loc;
    if (ep->kind != NodeKind::Sequence) {
      expected(*ep, "'endpoints' of " + what, "a list of two ends such as '[pc1:eth0, lan]'");
      return std::nullopt;
    }
    if (ep->items.size() != 2) {
      diags_.error(ep->loc, "'endpoints' of " + what + " has " + std::to_string(ep->items.size()) +
                                (ep->items.size() == 1 ? " end" : " ends") + "; a link joins exactly two, as in '[pc1:eth0, lan]'");
      return std::nullopt;
    }
    for (yaml::NodeId id : ep->items) {
      const Node& e = doc_.node(id);
      RawEndpoint end;
      end.loc = e.loc;
      if (e.kind == NodeKind::Scalar) {
        end.ref = RawScalar{e.scalar, e.loc, true, e.quoted};
      } else if (e.kind == NodeKind::Mapping) {
        end.isMapping = true;
        MapReader em(doc_, e, "an endpoint of " + what, {"node", "iface", "ip", "gateway", "mac"}, diags_);
        end.node = em.scalar("node", "a node name");
        end.iface = em.scalar("iface", "an interface name such as 'eth0'");
        end.ip = em.scalar("ip", "a prefix such as '10.0.0.1/24'");
        end.gateway = em.scalar("gateway", "an address such as '10.0.0.1'");
        end.mac = em.scalar("mac", "a MAC address such as '02:00:00:00:00:01'");
        if (!end.node || !end.iface) {
          diags_.error(e.loc, "an endpoint of " + what + " needs 'node' and 'iface', as in '{node: pc1, iface: eth0}'");
          return std::nullopt;
        }
      } else {
        expected(e, "an endpoint of " + what, "'node:iface', a segment name, or a mapping");
        return std::nullopt;
      }
      l.endpoints.push_back(std::move(end));
    }
    return l;
  }

  std::optional<RawMonitor> readMonitor(const Node& n, size_t index) {
    const std::string what = "monitor " + std::to_string(index);
    if (n.kind != NodeKind::Mapping) {
      expected(n, what, "a mapping such as '{node: ids, iface: eth1, mirror: lan}'");
      return std::nullopt;
    }
    MapReader m(doc_, n, what, {"node", "iface", "mirror", "mac", "filter"}, diags_);
    RawMonitor r{m.scalar("node", "a node name"), m.scalar("iface", "an interface name such as 'eth1'"),
                 m.scalar("mirror", "a segment name"), m.scalar("mac", "a MAC address"),
                 m.scalar("filter", "a libpcap filter such as 'tcp port 80'"), n.loc, index};
    for (auto [field, name] : {std::pair{&r.node, "node"}, {&r.iface, "iface"}, {&r.mirror, "mirror"}})
      if (!*field)
        diags_.error(n.loc, what + " needs '" + name + "', as in '{node: ids, iface: eth1, mirror: lan}'");
    if (!r.node || !r.iface || !r.mirror)
      return std::nullopt;
    return r;
  }

  std::optional<RawReplay> readReplay(const Node& n, size_t index) {
    const std::string what = "replay " + std::to_string(index);
    if (n.kind != NodeKind::Mapping) {
      expected(n, what, "a mapping such as '{segment: lan, pcap: captures/ping.pcap}'");
      return std::nullopt;
    }
    MapReader m(doc_, n, what, {"segment", "pcap", "speed", "loop", "rewrite-mac"}, diags_);
    RawReplay r{m.scalar("segment", "a segment name"), m.scalar("pcap", "a path to a capture file"),
                m.scalar("speed", "a number such as '1' or '2.5'"), m.scalar("loop", "a count such as '3'"),
                m.scalar("rewrite-mac", "true or false"), n.loc, index};
    if (!r.segment)
      diags_.error(n.loc, what + " needs 'segment', as in '{segment: lan, pcap: captures/ping.pcap}'");
    if (!r.pcap)
      diags_.error(n.loc, what + " needs 'pcap', as in '{segment: lan, pcap: captures/ping.pcap}'");
    if (!r.segment || !r.pcap)
      return std::nullopt;
    return r;
  }

  std::optional<RawTimelineEvent> readTimelineEvent(const Node& n, size_t index) {
    const std::string what = "timeline entry " + std::to_string(index);
    if (n.kind != NodeKind::Mapping) {
      expected(n, what, "a mapping such as '{at: 30s, link: r1:eth1, down: true}'");
      return std::nullopt;
    }
    MapReader m(doc_, n, what,
                {"at", "from", "to", "step", "every", "times", "link", "node", "segment", "down", "up", "clear", "delay",
                 "jitter", "loss", "rate", "duplicate", "corrupt", "crash", "restart", "stop", "start", "run", "replay",
                 "speed", "loop"},
                diags_);
    RawTimelineEvent e;
    e.at = m.scalar("at", "a time such as '30s'");
    e.from = m.scalar("from", "a time such as '30s'");
    e.to = m.scalar("to", "a time such as '60s'");
    e.step = m.scalar("step", "a time such as '1s'");
    e.every = m.scalar("every", "a time such as '20s'");
    e.times = m.scalar("times", "a count such as '3'");
    e.link = m.scalar("link", "an interface such as 'r1:eth1'");
    e.node = m.scalar("node", "a node name");
    e.segment = m.scalar("segment", "a segment name");
    e.down = m.scalar("down", "true");
    e.up = m.scalar("up", "true");
    e.clear = m.scalar("clear", "true or false");
    e.delay = m.scalar("delay", "a duration such as '50ms', or a ramp such as '10ms -> 200ms'");
    e.jitter = m.scalar("jitter", "a duration such as '5ms'");
    e.loss = m.scalar("loss", "a percentage such as '1%', or a ramp such as '0% -> 20%'");
    e.rate = m.scalar("rate", "a bit rate such as '10mbit'");
    e.duplicate = m.scalar("duplicate", "a percentage");
    e.corrupt = m.scalar("corrupt", "a percentage");
    e.crash = m.scalar("crash", "true");
    e.restart = m.scalar("restart", "true");
    e.stop = m.scalar("stop", "true");
    e.start = m.scalar("start", "true");
    e.run = m.scalar("run", "a shell command");
    e.replay = m.scalar("replay", "a path to a capture file");
    e.speed = m.scalar("speed", "a number such as '1' or '2.5'");
    e.loop = m.scalar("loop", "a count such as '3'");
    e.loc = n.loc;
    e.number = index;
    return e;
  }

  const Document& doc_;
  Diagnostics& diags_;
};

} // namespace

std::optional<RawTopology> readRawTopology(const yaml::Document& doc, const std::string& path, Diagnostics& diags) {
  // Parts with shape errors are left out but the rest is returned, so that resolve can report
  // its errors in the same pass; the caller checks `diags` before using the result.
  return Reader(doc, diags).read(path);
}

std::optional<RawTopology> loadTopology(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  auto doc = yaml::loadFile(path, sources, diags);
  if (!doc)
    return std::nullopt;
  return readRawTopology(*doc, path, diags);
}

std::optional<RawTopology> loadTopologyText(const std::string& name, std::string text, SourceManager& sources,
                                            Diagnostics& diags) {
  auto doc = yaml::loadText(name, std::move(text), sources, diags);
  if (!doc)
    return std::nullopt;
  return readRawTopology(*doc, name, diags);
}

} // namespace umlab::lab
