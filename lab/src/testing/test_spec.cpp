#include "umlab/lab/testing/test_spec.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/lab/replay/flow_report.hpp"
#include "umlab/lab/yaml/loader.hpp"
#include "umlab/transports/address_map.hpp"
#include "umlab/transports/pcap_filter.hpp"

#include <algorithm>
#include <filesystem>

namespace umlab::lab::testing {
namespace {

namespace fs = std::filesystem;
using yaml::Document;
using yaml::Node;
using yaml::NodeKind;

const std::vector<std::string> kTopKeys{"lab", "timeout", "checks"};
const std::vector<std::string> kCheckKinds{"reach",   "blocked", "command", "address",
                                           "route",   "process", "traffic", "replay"};
const std::vector<std::string> kCommonKeys{"name", "timeout", "at", "within", "from", "to"};

class Reader {
public:
  Reader(const Document& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  std::optional<TestSpec> read(const std::string& path) {
    TestSpec spec;
    spec.path = path;
    path_ = path;
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

  /// `where` names the mapping in messages; default "a 'KIND' check".
  std::optional<Fields> fields(const Node& n, const std::string& kind, const std::vector<std::string>& allowed,
                               std::string where = "") {
    if (where.empty())
      where = "a '" + kind + "' check";
    if (n.kind != NodeKind::Mapping) {
      diags_.error(n.loc, "'" + kind + "' takes a mapping such as {" + allowed.front() + ": ...}, not " + yaml::describe(n));
      return std::nullopt;
    }
    Fields f;
    for (const auto& [key, id] : n.entries) {
      if (std::find(allowed.begin(), allowed.end(), key.text) == allowed.end()) {
        diags_.error(key.loc, "unknown key '" + key.text + "' in " + where + didYouMean(key.text, allowed));
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
                                  " (checks: reach, blocked, command, address, route, process, traffic, replay)");
      }
    }
    if (!body) {
      if (!sawUnknown)
        diags_.error(n.loc, "this item names no check (reach, blocked, command, address, route, process, traffic, replay)");
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
    if (kind == "replay")
      return replayCheck(body);
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
      const Node& filter = seen ? *seen : *none;
      t.filter = scalar(filter, seen ? "'seen'" : "'none'").value_or("");
      if (std::string why; !t.filter.empty() && !transports::PcapFilter::compile(t.filter, why))
        diags_.error(filter.loc, "'" + t.filter + "' is not a pcap filter: " + why);
    }
    if (const Node* w = f->get("window"))
      t.window = duration(*w, "'window'");
    if (diags_.errorCount() != before)
      return std::nullopt;
    return t;
  }

  std::optional<uint16_t> port(const Node& n, const std::string& what) {
    auto s = scalar(n, what);
    auto v = s ? parseUnsigned(*s, 65535) : std::nullopt;
    if (!v) {
      diags_.error(n.loc, what + " is a port number from 0 to 65535");
      return std::nullopt;
    }
    return uint16_t(*v);
  }

  std::optional<FlowExpectation> expectation(const Node& n) {
    const size_t before = diags_.errorCount();
    auto f = fields(n, "expect", {"proto", "src", "dst", "sport", "dport", "verdict", "rule"}, "an 'expect' entry");
    if (!f)
      return std::nullopt;
    FlowExpectation e;
    if (!f->get("verdict"))
      diags_.error(n.loc, "an 'expect' entry needs 'verdict' (passed, rejected, dropped or partial)");
    else
      e.verdict = scalar(*f->get("verdict"), "'verdict'").value_or("");
    if (!e.verdict.empty() && !replay::parseVerdict(e.verdict))
      diags_.error(f->get("verdict")->loc, "'verdict' is passed, rejected, dropped or partial, not '" + e.verdict + "'");
    if (const Node* p = f->get("proto")) {
      e.proto = scalar(*p, "'proto'");
      if (e.proto && *e.proto != "tcp" && *e.proto != "udp" && *e.proto != "icmp" && *e.proto != "icmpv6")
        diags_.error(p->loc, "'proto' is tcp, udp, icmp or icmpv6, not '" + *e.proto + "'");
    }
    for (const char* key : {"src", "dst"}) {
      const Node* a = f->get(key);
      if (!a)
        continue;
      const std::string text = scalar(*a, std::string("'") + key + "'").value_or("");
      std::optional<IpPrefix> prefix = IpPrefix::parse(text);
      if (!prefix)
        if (std::optional<IpAddress> address = IpAddress::parse(text))
          prefix = IpPrefix(*address, address->bitCount());
      if (!prefix)
        diags_.error(a->loc, std::string("'") + key + "' is an address or a prefix such as 10.0.1.0/24, not '" + text + "'");
      (std::string(key) == "src" ? e.src : e.dst) = prefix;
    }
    if (const Node* p = f->get("sport"))
      e.sport = port(*p, "'sport'");
    if (const Node* p = f->get("dport"))
      e.dport = port(*p, "'dport'");
    if (const Node* r = f->get("rule"))
      e.rule = scalar(*r, "'rule'"); // text the deciding rule contains; not empty
    if (diags_.errorCount() != before)
      return std::nullopt;
    return e;
  }

  std::optional<CheckKind> replayCheck(const Node& body) {
    const size_t before = diags_.errorCount();
    auto f = fields(body, "replay", {"capture", "through", "map", "speed", "wait", "rules", "expect"});
    if (!f)
      return std::nullopt;
    ReplayCheck r;
    const std::string capture = required(*f, body, "replay", "capture").value_or("");
    if (!capture.empty()) {
      fs::path p(capture);
      r.capture = p.is_absolute() ? p.string() : (fs::path(path_).parent_path() / p).lexically_normal().string();
      std::error_code ec;
      if (!fs::exists(r.capture, ec))
        diags_.error(f->get("capture")->loc, "no capture '" + r.capture + "' (a 'capture' is found relative to the tests file)");
    }
    r.through = required(*f, body, "replay", "through").value_or("");
    if (const Node* m = f->get("map")) {
      std::vector<const Node*> rules;
      if (m->kind == NodeKind::Sequence)
        for (yaml::NodeId id : m->items)
          rules.push_back(&doc_.node(id));
      else
        rules.push_back(m);
      transports::AddressMap check;
      for (const Node* rule : rules)
        if (auto text = scalar(*rule, "a 'map' rule")) {
          if (std::optional<std::string> error = check.add(*text))
            diags_.error(rule->loc, "'map' " + *error);
          else
            r.map.push_back(*text);
        }
    }
    if (const Node* sp = f->get("speed")) {
      auto text = scalar(*sp, "'speed'").value_or("");
      auto x = parseDecimal(text);
      if (!x || *x < 0)
        diags_.error(sp->loc, "'speed' is a factor such as 1 or 10 (0: as fast as the node answers), not '" + text + "'");
      else
        r.speed = *x;
    }
    if (const Node* w = f->get("wait"))
      r.wait = duration(*w, "'wait'");
    if (const Node* rules = f->get("rules")) {
      const std::string text = scalar(*rules, "'rules'").value_or("");
      if (text != "true" && text != "false")
        diags_.error(rules->loc, "'rules' is true or false, not '" + text + "'");
      r.rules = text == "true";
    }
    const Node* expect = f->get("expect");
    if (!expect) {
      diags_.error(body.loc, "a 'replay' check needs 'expect', a list such as [{dport: 22, verdict: dropped}]");
    } else if (expect->kind != NodeKind::Sequence || expect->items.empty()) {
      diags_.error(expect->loc, "'expect' is a list of {selector..., verdict: V}, not " + std::string(yaml::describe(*expect)));
    } else {
      for (yaml::NodeId id : expect->items)
        if (auto e = expectation(doc_.node(id))) {
          r.rules = r.rules || e->rule.has_value();
          r.expect.push_back(std::move(*e));
        }
    }
    if (diags_.errorCount() != before)
      return std::nullopt;
    return r;
  }

  const Document& doc_;
  Diagnostics& diags_;
  std::string path_;
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
    std::string operator()(const ReplayCheck& r) const {
      return "replay " + fs::path(r.capture).filename().string() + " through " + r.through;
    }
  };
  return std::visit(Describe{}, kind);
}

std::string describeExpectation(const FlowExpectation& e) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  if (e.proto)
    add(*e.proto);
  if (e.src)
    add("src " + (e.src->length() == e.src->address().bitCount() ? e.src->address().str() : e.src->str()));
  if (e.dst)
    add("dst " + (e.dst->length() == e.dst->address().bitCount() ? e.dst->address().str() : e.dst->str()));
  if (e.sport)
    add("sport " + std::to_string(*e.sport));
  if (e.dport)
    add("dport " + std::to_string(*e.dport));
  if (s.empty())
    s = "every flow";
  return s + ": " + e.verdict + (e.rule ? " by a rule with '" + *e.rule + "'" : "");
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
          } else if constexpr (std::is_same_v<T, ReplayCheck>) {
            node(c, k.through);
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
