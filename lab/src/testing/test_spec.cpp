#include "umlab/lab/testing/test_spec.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/lab/yaml/loader.hpp"

#include <algorithm>
#include <filesystem>

namespace umlab::lab::testing {
namespace {

namespace fs = std::filesystem;
using yaml::Document;
using yaml::Node;
using yaml::NodeKind;

const std::vector<std::string> kTopKeys{"lab", "timeout", "checks"};
const std::vector<std::string> kCheckKinds{"reach", "blocked", "command", "address", "route", "process", "traffic"};
const std::vector<std::string> kCommonKeys{"name", "timeout", "at", "within", "from", "to"};

class Reader {
public:
  Reader(const Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  std::optional<TestSpec> read(const std::string& path) {
    TestSpec spec;
    spec.path = path;
    const Node& root = doc_.root();
    if (root.kind != NodeKind::Mapping) {
      diags_.error(root.loc, std::string("a tests file is a mapping with 'lab' and 'checks', not ") + yaml::describe(root));
      return std::nullopt;
    }
    const Node* checks = nullptr;
    for (const auto& [key, id] : root.entries) {
      const Node& v = doc_.node(id);
      if (key.text == "lab") {
        if (auto s = scalar(v, "'lab'")) {
          fs::path p(*s);
          spec.labPath = p.is_absolute() ? p.string() : (fs::path(path).parent_path() / p).lexically_normal().string();
        }
      } else if (key.text == "timeout") {
        if (auto d = duration(v, "'timeout'"))
          spec.timeout = *d;
      } else if (key.text == "checks") {
        checks = &v;
      } else {
        diags_.error(key.loc, "unknown key '" + key.text + "' in the tests file" + didYouMean(key.text, kTopKeys));
      }
    }
    if (spec.labPath.empty())
      diags_.error(root.loc, "the tests file needs 'lab: FILE', the topology the checks run in");
    if (!checks) {
      diags_.error(root.loc, "the tests file needs 'checks:', a list of checks");
    } else if (checks->kind != NodeKind::Sequence) {
      diags_.error(checks->loc, std::string("'checks' is a list, not ") + yaml::describe(*checks));
    } else {
      for (yaml::NodeId id : checks->items)
        if (auto c = check(doc_.node(id), spec.timeout))
          spec.checks.push_back(std::move(*c));
      if (checks->items.empty())
        diags_.warning(checks->loc, "'checks' is empty: nothing will be tested");
    }
    if (diags_.hasErrors())
      return std::nullopt;
    return spec;
  }

private:
  std::optional<std::string> scalar(const Node& n, const std::string& what) {
    if (n.kind != NodeKind::Scalar || n.scalar.empty()) {
      diags_.error(n.loc, what + " needs a value, not " + yaml::describe(n));
      return std::nullopt;
    }
    return n.scalar;
  }

  /// A moment of the timeline: 0 or more ("30s", "1m", "0s").
  std::optional<Duration> instant(const Node& n, const std::string& what) {
    auto s = scalar(n, what);
    if (!s)
      return std::nullopt;
    auto d = parseDuration(*s);
    if (!d || d->count() < 0) {
      diags_.error(n.loc, what + " is a time after the lab was ready, such as 30s or 2m, not '" + *s + "'");
      return std::nullopt;
    }
    return std::chrono::duration_cast<Duration>(*d);
  }

  std::optional<Duration> duration(const Node& n, const std::string& what) {
    auto s = scalar(n, what);
    if (!s)
      return std::nullopt;
    auto d = parseDuration(*s);
    if (!d || d->count() <= 0) {
      diags_.error(n.loc, what + " is a duration such as 20s or 500ms, not '" + *s + "'");
      return std::nullopt;
    }
    return std::chrono::duration_cast<Duration>(*d);
  }

  /// The fields of one check's mapping, with unknown keys reported.
  struct Fields {
    std::vector<std::pair<std::string, const Node*>> values;
    const Node* get(const std::string& k) const {
      for (const auto& [key, n] : values)
        if (key == k)
          return n;
      return nullptr;
    }
  };

  std::optional<Fields> fields(const Node& n, const std::string& kind, const std::vector<std::string>& allowed) {
    if (n.kind != NodeKind::Mapping) {
      diags_.error(n.loc, "'" + kind + "' takes a mapping such as {" + allowed.front() + ": ...}, not " + yaml::describe(n));
      return std::nullopt;
    }
    Fields f;
    for (const auto& [key, id] : n.entries) {
      if (std::find(allowed.begin(), allowed.end(), key.text) == allowed.end()) {
        diags_.error(key.loc, "unknown key '" + key.text + "' in a '" + kind + "' check" + didYouMean(key.text, allowed));
        continue;
      }
      f.values.emplace_back(key.text, &doc_.node(id));
    }
    return f;
  }

  std::optional<std::string> required(const Fields& f, const Node& at, const std::string& kind, const std::string& key) {
    const Node* v = f.get(key);
    if (!v) {
      diags_.error(at.loc, "a '" + kind + "' check needs '" + key + "'");
      return std::nullopt;
    }
    return scalar(*v, "'" + key + "'");
  }

  std::optional<std::string> optionalScalar(const Fields& f, const std::string& key) {
    const Node* v = f.get(key);
    return v ? scalar(*v, "'" + key + "'") : std::nullopt;
  }

  std::optional<Check> check(const Node& n, Duration defaultTimeout) {
    if (n.kind != NodeKind::Mapping) {
      diags_.error(n.loc, "a check is a mapping such as {reach: {from: a, to: b}}, not " + std::string(yaml::describe(n)));
      return std::nullopt;
    }
    Check c;
    c.loc = n.loc;
    c.timeout = defaultTimeout;
    const SourceLoc* within = nullptr;
    const SourceLoc* timeoutLoc = nullptr;
    const Node* body = nullptr;
    std::string kind;
    bool sawUnknown = false;
    for (const auto& [key, id] : n.entries) {
      const Node& v = doc_.node(id);
      if (key.text == "name") {
        if (auto s = scalar(v, "'name'"))
          c.name = *s;
      } else if (key.text == "timeout") {
        if (auto d = duration(v, "'timeout'"))
          c.timeout = *d;
        timeoutLoc = &key.loc;
      } else if (key.text == "at" || key.text == "from" || key.text == "to") {
        if (auto d = instant(v, "'" + key.text + "'"))
          (key.text == "at" ? c.at : key.text == "from" ? c.from : c.to) = *d;
      } else if (key.text == "within") {
        within = &key.loc;
        if (auto d = duration(v, "'within'"))
          c.timeout = *d;
        c.hasWithin = true;
      } else if (std::find(kCheckKinds.begin(), kCheckKinds.end(), key.text) != kCheckKinds.end()) {
        if (body) {
          diags_.error(key.loc, "one check per list item: this one is already '" + kind + "'");
          continue;
        }
        body = &v;
        kind = key.text;
        c.loc = key.loc;
      } else {
        sawUnknown = true;
        std::vector<std::string> all = kCheckKinds;
        all.insert(all.end(), kCommonKeys.begin(), kCommonKeys.end());
        diags_.error(key.loc, "unknown check '" + key.text + "'" + didYouMean(key.text, all) +
                                  " (checks: reach, blocked, command, address, route, process, traffic)");
      }
    }
    if (!body) {
      if (!sawUnknown)
        diags_.error(n.loc, "this item names no check (reach, blocked, command, address, route, process, traffic)");
      return std::nullopt;
    }
    std::optional<CheckKind> k = parseKind(kind, *body);
    if (!k)
      return std::nullopt;
    c.kind = std::move(*k);
    if (within && !c.at)
      diags_.error(*within, "'within' counts from 'at': give the check 'at: TIME' too, as in '{at: 30s, within: 10s, reach: ...}'");
    if (within && timeoutLoc)
      diags_.error(*timeoutLoc, "a check with 'within' has no 'timeout': 'within' is how long it may take");
    const bool isTraffic = std::holds_alternative<TrafficCheck>(c.kind);
    if ((c.from || c.to) && !isTraffic)
      diags_.error(c.loc, "'from' and 'to' give a traffic check its window; other checks start at 'at'");
    if (isTraffic && (c.from.has_value() != c.to.has_value()))
      diags_.error(c.loc, "a traffic check's window needs both 'from' and 'to', as in '{from: 30s, to: 40s, traffic: ...}'");
    if (c.from && c.to && *c.to <= *c.from)
      diags_.error(c.loc, "'to' must come after 'from'");
    if (isTraffic && c.at)
      diags_.error(c.loc, "a traffic check looks at a window: give it 'from' and 'to' instead of 'at'");
    if (isTraffic && (c.from || c.to) && std::get<TrafficCheck>(c.kind).window)
      diags_.error(c.loc, "a traffic check has either 'window' (the last N seconds) or 'from'/'to', not both");
    if (c.name.empty())
      c.name = describeCheck(c.kind);
    return c;
  }

  std::optional<CheckKind> parseKind(const std::string& kind, const Node& body) {
    const size_t before = diags_.errorCount();
    if (kind == "reach" || kind == "blocked") {
      auto f = fields(body, kind, {"from", "to", "port", "proto"});
      if (!f)
        return std::nullopt;
      ReachCheck r;
      r.expectReach = kind == "reach";
      r.from = required(*f, body, kind, "from").value_or("");
      r.to = required(*f, body, kind, "to").value_or("");
      if (const Node* p = f->get("port")) {
        auto s = scalar(*p, "'port'");
        auto v = s ? parseUnsigned(*s, 65535) : std::nullopt;
        if (!v || *v == 0)
          diags_.error(p->loc, "'port' is a number from 1 to 65535");
        else
          r.port = uint16_t(*v);
      }
      r.protocol = r.port ? Protocol::Tcp : Protocol::Icmp;
      if (const Node* p = f->get("proto")) {
        auto s = scalar(*p, "'proto'").value_or("");
        if (s == "tcp")
          r.protocol = Protocol::Tcp;
        else if (s == "udp")
          r.protocol = Protocol::Udp;
        else if (s == "icmp")
          r.protocol = Protocol::Icmp;
        else
          diags_.error(p->loc, "'proto' is tcp, udp or icmp, not '" + s + "'");
        if ((r.protocol == Protocol::Icmp) == r.port.has_value())
          diags_.error(p->loc, r.port ? "icmp has no port: drop 'port' or use tcp or udp"
                                      : "tcp and udp checks need 'port'");
      }
      if (diags_.errorCount() != before)
        return std::nullopt;
      return r;
    }
    if (kind == "command") {
      auto f = fields(body, kind, {"node", "run", "expect", "exit"});
      if (!f)
        return std::nullopt;
      CommandCheck c;
      c.node = required(*f, body, kind, "node").value_or("");
      c.run = required(*f, body, kind, "run").value_or("");
      c.expect = optionalScalar(*f, "expect");
      if (const Node* e = f->get("exit")) {
        auto v = parseUnsigned(scalar(*e, "'exit'").value_or(""), 255);
        if (!v)
          diags_.error(e->loc, "'exit' is the expected exit status, 0 to 255");
        else
          c.exitCode = int(*v);
      }
      if (diags_.errorCount() != before)
        return std::nullopt;
      return c;
    }
    if (kind == "address") {
      auto f = fields(body, kind, {"node", "iface", "ip"});
      if (!f)
        return std::nullopt;
      AddressCheck a;
      a.node = required(*f, body, kind, "node").value_or("");
      a.iface = required(*f, body, kind, "iface").value_or("");
      a.ip = required(*f, body, kind, "ip").value_or("");
      if (!a.ip.empty() && !IpPrefix::parse(a.ip))
        diags_.error(f->get("ip")->loc, "'ip' is an address with its prefix length, such as 10.0.0.2/24");
      if (diags_.errorCount() != before)
        return std::nullopt;
      return a;
    }
    if (kind == "route") {
      auto f = fields(body, kind, {"node", "to", "via", "dev"});
      if (!f)
        return std::nullopt;
      RouteCheck r;
      r.node = required(*f, body, kind, "node").value_or("");
      r.to = required(*f, body, kind, "to").value_or("");
      r.via = optionalScalar(*f, "via");
      r.dev = optionalScalar(*f, "dev");
      if (r.via && !IpAddress::parse(*r.via))
        diags_.error(f->get("via")->loc, "'via' is an address, such as 10.0.1.1");
      if (r.to != "default" && !r.to.empty() && !IpPrefix::parse(r.to))
        diags_.error(f->get("to")->loc, "'to' is 'default' or a prefix such as 10.0.2.0/24");
      if (diags_.errorCount() != before)
        return std::nullopt;
      return r;
    }
    if (kind == "process") {
      auto f = fields(body, kind, {"node", "name"});
      if (!f)
        return std::nullopt;
      ProcessCheck p;
      p.node = required(*f, body, kind, "node").value_or("");
      p.name = required(*f, body, kind, "name").value_or("");
      if (diags_.errorCount() != before)
        return std::nullopt;
      return p;
    }
    // traffic
    auto f = fields(body, kind, {"segment", "seen", "none", "window"});
    if (!f)
      return std::nullopt;
    TrafficCheck t;
    t.segment = required(*f, body, kind, "segment").value_or("");
    const Node* seen = f->get("seen");
    const Node* none = f->get("none");
    if ((seen == nullptr) == (none == nullptr)) {
      diags_.error(body.loc, "a 'traffic' check needs either 'seen: FILTER' (at least one frame) or 'none: FILTER' (not one)");
    } else {
      t.expectSeen = seen != nullptr;
      t.filter = scalar(seen ? *seen : *none, seen ? "'seen'" : "'none'").value_or("");
    }
    if (const Node* w = f->get("window"))
      t.window = duration(*w, "'window'");
    if (diags_.errorCount() != before)
      return std::nullopt;
    return t;
  }

  const Document& doc_;
  Diagnostics& diags_;
};

} // namespace

const char* protocolName(Protocol p) {
  switch (p) {
  case Protocol::Icmp:
    return "icmp";
  case Protocol::Tcp:
    return "tcp";
  case Protocol::Udp:
    return "udp";
  }
  return "?";
}

std::string describeCheck(const CheckKind& kind) {
  struct Describe {
    std::string operator()(const ReachCheck& r) const {
      return std::string(r.expectReach ? "reach " : "blocked ") + r.from + " -> " + r.to + " " +
             protocolName(r.protocol) + (r.port ? "/" + std::to_string(*r.port) : "");
    }
    std::string operator()(const CommandCheck& c) const { return "command " + c.node + ": " + c.run; }
    std::string operator()(const AddressCheck& a) const { return "address " + a.node + ":" + a.iface + " " + a.ip; }
    std::string operator()(const RouteCheck& r) const {
      return "route " + r.node + " " + r.to + (r.via ? " via " + *r.via : "") + (r.dev ? " dev " + *r.dev : "");
    }
    std::string operator()(const ProcessCheck& p) const { return "process " + p.node + ": " + p.name; }
    std::string operator()(const TrafficCheck& t) const {
      return "traffic " + t.segment + (t.expectSeen ? " seen '" : " none '") + t.filter + "'";
    }
  };
  return std::visit(Describe{}, kind);
}

std::optional<TestSpec> loadTestSpec(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  std::optional<Document> doc = yaml::loadFile(path, sources, diags);
  if (!doc)
    return std::nullopt;
  return Reader(*doc, diags).read(path);
}

std::optional<TestSpec> loadTestSpecText(const std::string& path, std::string text, SourceManager& sources,
                                         Diagnostics& diags) {
  std::optional<Document> doc = yaml::loadText(path, std::move(text), sources, diags);
  if (!doc)
    return std::nullopt;
  return Reader(*doc, diags).read(path);
}

bool checkAgainstLab(const TestSpec& spec, const Topology& topology, Diagnostics& diags) {
  const size_t before = diags.errorCount();
  std::vector<std::string> nodeNames;
  for (const lab::Node& n : topology.nodes)
    nodeNames.push_back(n.name);
  auto node = [&](const Check& c, const std::string& name) -> const lab::Node* {
    auto i = topology.findNode(name);
    if (!i) {
      diags.error(c.loc, "lab '" + topology.name + "' has no node '" + name + "'" + didYouMean(name, nodeNames));
      return nullptr;
    }
    return &topology.nodes[*i];
  };
  auto target = [&](const Check& c, const std::string& to) {
    if (IpAddress::parse(to))
      return;
    const size_t colon = to.find(':');
    const lab::Node* n = node(c, to.substr(0, colon));
    if (!n)
      return;
    bool hasAddress = false;
    for (const Interface& i : n->interfaces)
      if (i.ip && (colon == std::string::npos || i.name == to.substr(colon + 1)))
        hasAddress = true;
    if (!hasAddress)
      diags.error(c.loc, "'" + to + "' has no address in lab '" + topology.name + "'; give one, or an address");
  };
  for (const Check& c : spec.checks) {
    std::visit(
        [&](const auto& k) {
          using T = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<T, ReachCheck>) {
            node(c, k.from);
            target(c, k.to);
          } else if constexpr (std::is_same_v<T, TrafficCheck>) {
            auto s = topology.findSegment(k.segment);
            if (!s)
              diags.error(c.loc, "lab '" + topology.name + "' has no segment '" + k.segment + "'");
            else if (topology.segments[*s].type == SegmentType::Mcast)
              diags.error(c.loc, "traffic checks read a switch's capture ring; '" + k.segment +
                                     "' is an mcast segment, which has no switch");
          } else if constexpr (std::is_same_v<T, AddressCheck>) {
            if (const lab::Node* n = node(c, k.node); n) {
              bool found = false;
              for (const Interface& i : n->interfaces)
                found = found || i.name == k.iface;
              if (!found)
                diags.error(c.loc, "node '" + k.node + "' has no interface '" + k.iface + "'");
            }
          } else {
            node(c, k.node);
          }
        },
        c.kind);
  }
  return diags.errorCount() == before;
}

} // namespace umlab::lab::testing
