#include "umlab/lab/runtime/node_inspection.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string_view>

namespace umlab::lab::runtime {

namespace {

constexpr const char* kMarkerPrefix = "@@umlab-inspect-";

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> splitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start)
      words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return "";
  const size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string joined(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i)
    out += lines[i] + "\n";
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

std::optional<uint64_t> toUint(std::string_view s) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    const uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v)
      return std::nullopt;
    v = next;
  }
  return v;
}

std::string str(const JsonValue& object, std::string_view key) { return jsonString(object, key); }

int64_t integer(const JsonValue& object, std::string_view key, int64_t otherwise) {
  const JsonValue* v = object.find(key);
  return v && v->asInt() ? *v->asInt() : otherwise;
}

/// The strings of an array member, joined by ','.
std::string joinedStrings(const JsonValue& object, std::string_view key) {
  std::string out;
  if (const JsonValue* v = object.find(key); v && v->asArray())
    for (const JsonValue& s : *v->asArray())
      if (auto text = s.asString())
        out += (out.empty() ? "" : ",") + std::string(*text);
  return out;
}

bool hasString(const JsonValue& object, std::string_view key, std::string_view word) {
  if (const JsonValue* v = object.find(key); v && v->asArray())
    for (const JsonValue& s : *v->asArray())
      if (s.asString() == std::optional<std::string_view>(word))
        return true;
  return false;
}

// ---- ip -j ----------------------------------------------------------------------------------

/// The array that `ip -j` printed; an error naming `what` otherwise.
const JsonArray* ipArray(const std::optional<JsonValue>& json, const std::string& what, std::string& error) {
  if (!json || !json->asArray()) {
    error = "the " + what + " are not the JSON array 'ip -j' prints";
    return nullptr;
  }
  return json->asArray();
}

std::optional<JsonValue> parseLine(const std::string& line, std::string& error) {
  JsonError e;
  std::optional<JsonValue> v = parseJson(line, e);
  if (!v)
    error = e.str();
  return v;
}

void readAddresses(const JsonArray& links, NodeInspection& into) {
  for (const JsonValue& link : links) {
    InspectedInterface i;
    i.name = str(link, "ifname");
    if (i.name.empty())
      continue;
    i.isUp = hasString(link, "flags", "UP");
    i.operState = str(link, "operstate");
    i.mac = str(link, "address");
    i.mtu = static_cast<uint32_t>(std::clamp<int64_t>(integer(link, "mtu", 0), 0, UINT32_MAX));
    if (const JsonValue* infos = link.find("addr_info"); infos && infos->asArray())
      for (const JsonValue& info : *infos->asArray()) {
        const std::string family = str(info, "family");
        if (family != "inet" && family != "inet6")
          continue;
        InspectedAddress a;
        a.family = family == "inet" ? 4 : 6;
        a.address = str(info, "local");
        a.prefixLength = static_cast<int>(integer(info, "prefixlen", 0));
        a.scope = str(info, "scope");
        i.addresses.push_back(std::move(a));
      }
    into.interfaces.push_back(std::move(i));
  }
}

/// `route show table all`: both families, every table; the main table's routes are kept (the
/// local and broadcast routes of the local table are the addresses again). IPv6 routes are
/// the ones with a preference, which the kernel gives every one of them (RTA_PREF).
void readRoutes(const JsonArray& routes, NodeInspection& into) {
  std::vector<InspectedRoute> v6;
  for (const JsonValue& route : routes) {
    if (const std::string table = str(route, "table"); !table.empty() && table != "main")
      continue;
    InspectedRoute r;
    r.destination = str(route, "dst");
    r.family = route.find("pref") || r.destination.find(':') != std::string::npos ||
                       str(route, "gateway").find(':') != std::string::npos
                   ? 6
                   : 4;
    r.gateway = str(route, "gateway");
    r.device = str(route, "dev");
    // A multipath route: its next hops, joined.
    if (const JsonValue* hops = route.find("nexthops"); hops && hops->asArray())
      for (const JsonValue& hop : *hops->asArray()) {
        r.gateway += (r.gateway.empty() ? "" : ",") + str(hop, "gateway");
        r.device += (r.device.empty() ? "" : ",") + str(hop, "dev");
      }
    r.protocol = str(route, "protocol");
    r.scope = str(route, "scope");
    r.source = str(route, "prefsrc");
    r.type = str(route, "type");
    if (r.type.empty())
      r.type = "unicast";
    r.metric = integer(route, "metric", -1);
    (r.family == 4 ? into.routes : v6).push_back(std::move(r));
  }
  into.routes.insert(into.routes.end(), v6.begin(), v6.end());
}

void readNeighbours(const JsonArray& neighbours, NodeInspection& into) {
  for (const JsonValue& entry : neighbours) {
    InspectedNeighbour n;
    n.address = str(entry, "dst");
    n.family = n.address.find(':') == std::string::npos ? 4 : 6;
    n.device = str(entry, "dev");
    n.mac = str(entry, "lladdr");
    n.state = joinedStrings(entry, "state");
    n.isRouter = entry.find("router") != nullptr;
    into.neighbours.push_back(std::move(n));
  }
}

/// `ip -j -batch -` of `address show`, `route show table all` and `neighbour show`: one JSON
/// array per line, in that order (batch stops at the first command that fails, so what is there
/// is a prefix).
std::string readIpBatch(const std::vector<std::string>& lines, NodeInspection& into) {
  std::vector<std::string> docs;
  for (const std::string& l : lines)
    if (!trim(l).empty())
      docs.push_back(l);
  static const char* const kWhat[] = {"addresses", "routes", "neighbours"};
  for (size_t i = 0; i < docs.size() && i < 3; ++i) {
    std::string error;
    const std::optional<JsonValue> json = parseLine(docs[i], error);
    const JsonArray* array = ipArray(json, kWhat[i], error);
    if (!array)
      return std::string("cannot read the ") + kWhat[i] + ": " + error;
    if (i == 0)
      readAddresses(*array, into);
    else if (i == 1)
      readRoutes(*array, into);
    else
      readNeighbours(*array, into);
  }
  return docs.size() < 3 ? "ip printed " + std::to_string(docs.size()) + " of its 3 answers" : "";
}

// ---- ss -Hltunp -----------------------------------------------------------------------------

std::string readSockets(const std::vector<std::string>& lines, NodeInspection& into) {
  static const std::regex kUser(R"re(\("((?:[^"\\]|\\.)*)",pid=([0-9]+))re");
  for (const std::string& line : lines) {
    const std::vector<std::string> w = splitWords(line);
    if (w.empty())
      continue;
    if (w.size() < 6)
      return "cannot read the socket line '" + line + "'";
    InspectedSocket s;
    s.protocol = w[0];
    s.state = w[1];
    const std::string& local = w[4];
    const size_t colon = local.rfind(':');
    std::string host = colon == std::string::npos ? local : local.substr(0, colon);
    s.port = colon == std::string::npos ? "*" : local.substr(colon + 1);
    std::erase_if(host, [](char c) { return c == '[' || c == ']'; });
    s.address = host;
    for (size_t i = 6; i < w.size(); ++i)
      for (std::sregex_iterator m(w[i].begin(), w[i].end(), kUser), end; m != end; ++m)
        s.processes.push_back({(*m)[1].str(), static_cast<int64_t>(toUint((*m)[2].str()).value_or(0))});
    into.sockets.push_back(std::move(s));
  }
  return "";
}

// ---- iptables-save -c -----------------------------------------------------------------------

/// "[12:3456]" -> (12, 3456).
std::optional<std::pair<uint64_t, uint64_t>> bracketCounters(std::string_view s) {
  if (s.size() < 5 || s.front() != '[' || s.back() != ']')
    return std::nullopt;
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  auto p = toUint(s.substr(1, colon - 1));
  auto b = toUint(s.substr(colon + 1, s.size() - colon - 2));
  if (!p || !b)
    return std::nullopt;
  return std::make_pair(*p, *b);
}

std::string readIptablesSave(const std::vector<std::string>& lines, const std::string& source, NodeInspection& into) {
  FirewallTable* table = nullptr;
  for (const std::string& raw : lines) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#')
      continue;
    if (line[0] == '*') {
      FirewallTable t;
      t.source = source;
      t.family = source == "ip6tables" ? "ip6" : "ip";
      t.name = line.substr(1);
      into.firewall.push_back(std::move(t));
      table = &into.firewall.back();
      continue;
    }
    if (line == "COMMIT") {
      table = nullptr;
      continue;
    }
    if (!table)
      return "cannot read '" + line + "': it is outside a table";
    if (line[0] == ':') {
      // ":FORWARD DROP [12:1008]", ":mychain - [0:0]"
      const std::vector<std::string> w = splitWords(std::string_view(line).substr(1));
      if (w.size() < 2)
        return "cannot read the chain '" + line + "'";
      FirewallChain c;
      c.name = w[0];
      if (w[1] != "-") {
        c.policy = w[1];
        if (auto counters = w.size() > 2 ? bracketCounters(w[2]) : std::nullopt) {
          c.hasPolicyCounter = true;
          std::tie(c.packets, c.bytes) = *counters;
        }
      }
      table->chains.push_back(std::move(c));
      continue;
    }
    // "[5:420] -A FORWARD -i eth0 -j ACCEPT" (or without counters, from a plain iptables-save)
    FirewallRule r;
    std::string_view rest = line;
    if (line[0] == '[') {
      const size_t end = line.find(']');
      auto counters =
          end == std::string::npos ? std::nullopt : bracketCounters(std::string_view(line).substr(0, end + 1));
      if (!counters)
        return "cannot read the counters of '" + line + "'";
      r.hasCounter = true;
      std::tie(r.packets, r.bytes) = *counters;
      rest = std::string_view(line).substr(end + 1);
    }
    r.text = trim(rest);
    const std::vector<std::string> w = splitWords(r.text);
    if (w.size() < 2 || w[0] != "-A")
      return "cannot read the rule '" + line + "'";
    auto chain = std::find_if(table->chains.begin(), table->chains.end(),
                              [&](const FirewallChain& c) { return c.name == w[1]; });
    if (chain == table->chains.end())
      return "the rule '" + line + "' is in the undeclared chain '" + w[1] + "'";
    chain->rules.push_back(std::move(r));
  }
  return "";
}

// ---- nft -a list ruleset --------------------------------------------------------------------

/// The braces a line opens minus those it closes, outside double-quoted strings.
int braceBalance(std::string_view line) {
  int balance = 0;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '{') {
      ++balance;
    } else if (c == '}') {
      --balance;
    }
  }
  return balance;
}

/// Takes the " # handle N" that `nft -a` appends off `line`; -1 when there is none.
int64_t takeHandle(std::string& line) {
  static const std::regex kHandle(R"( ?# handle ([0-9]+)$)");
  std::smatch m;
  if (!std::regex_search(line, m, kHandle))
    return -1;
  const int64_t handle = static_cast<int64_t>(toUint(m[1].str()).value_or(0));
  line = trim(line.substr(0, static_cast<size_t>(m.position(0))));
  return handle;
}

/// A rule's own counter ("counter packets 3 bytes 180") or the named one it adds to
/// ("counter name \"drops\"", resolved against the table's counters afterwards).
void readRuleCounter(FirewallRule& r) {
  static const std::regex kAnonymous(R"((?:^| )counter packets ([0-9]+) bytes ([0-9]+))");
  static const std::regex kNamed(R"re((?:^| )counter name "?([A-Za-z0-9_.\-]+)"?)re");
  std::smatch m;
  if (std::regex_search(r.text, m, kAnonymous)) {
    r.hasCounter = true;
    r.packets = toUint(m[1].str()).value_or(0);
    r.bytes = toUint(m[2].str()).value_or(0);
  } else if (std::regex_search(r.text, m, kNamed)) {
    r.counterName = m[1].str();
  }
}

std::string readNftRuleset(const std::vector<std::string>& lines, NodeInspection& into) {
  enum class Block { Table, Chain, Counter, Other };
  std::vector<Block> stack;
  int otherDepth = 0;      // braces open inside an Other block (a set, a map, ...)
  std::string pendingRule; // a rule whose braces are not closed yet
  int pendingDepth = 0;
  int64_t pendingHandle = -1;
  const size_t firstTable = into.firewall.size();
  FirewallTable* table = nullptr;
  FirewallChain* chain = nullptr;
  FirewallCounter* counter = nullptr;
  auto addRule = [&](std::string text, int64_t handle) {
    FirewallRule r;
    r.text = std::move(text);
    r.handle = handle;
    readRuleCounter(r);
    chain->rules.push_back(std::move(r));
  };
  for (const std::string& raw : lines) {
    std::string line = trim(raw);
    if (line.empty())
      continue;
    if (!pendingRule.empty()) {
      pendingDepth += braceBalance(line);
      if (const int64_t h = takeHandle(line); h >= 0)
        pendingHandle = h;
      pendingRule += " " + line;
      if (pendingDepth <= 0) {
        addRule(std::exchange(pendingRule, ""), pendingHandle);
        pendingHandle = -1;
      }
      continue;
    }
    const int64_t handle = takeHandle(line);
    const int balance = braceBalance(line);
    const std::vector<std::string> w = splitWords(line);
    if (stack.empty()) {
      // "table inet filter {"
      if (w.size() == 4 && w[0] == "table" && w[3] == "{") {
        FirewallTable t;
        t.source = "nftables";
        t.family = w[1];
        t.name = w[2];
        into.firewall.push_back(std::move(t));
        table = &into.firewall.back();
        stack.push_back(Block::Table);
        continue;
      }
      return "cannot read '" + line + "' outside a table";
    }
    switch (stack.back()) {
    case Block::Table:
      if (line == "}") {
        stack.pop_back();
        table = nullptr;
      } else if (w.size() == 3 && w[0] == "chain" && w[2] == "{") {
        table->chains.push_back(FirewallChain{});
        chain = &table->chains.back();
        chain->name = w[1];
        stack.push_back(Block::Chain);
      } else if (w.size() == 3 && w[0] == "counter" && w[2] == "{") {
        table->counters.push_back(FirewallCounter{w[1], 0, 0});
        counter = &table->counters.back();
        stack.push_back(Block::Counter);
      } else if (balance > 0) {
        otherDepth = balance; // set, map, flowtable, quota, limit, ct helper, ...
        stack.push_back(Block::Other);
      }
      break;
    case Block::Chain:
      if (line == "}") {
        stack.pop_back();
        chain = nullptr;
      } else if (w.size() >= 4 && w[0] == "type" && line.find(" hook ") != std::string::npos) {
        // "type filter hook input priority filter; policy drop;"
        chain->type = w[1];
        chain->hook = w[3];
        static const std::regex kPolicy(R"(policy ([a-z]+);)");
        if (std::smatch m; std::regex_search(line, m, kPolicy))
          chain->policy = m[1].str();
      } else if (w[0] == "comment" || w[0] == "devices") {
        // the chain's comment, a netdev chain's devices: not rules
      } else if (balance > 0) {
        pendingRule = line;
        pendingDepth = balance;
        pendingHandle = handle;
      } else {
        addRule(line, handle);
      }
      break;
    case Block::Counter:
      if (line == "}") {
        stack.pop_back();
        counter = nullptr;
      } else if (w.size() >= 4 && w[0] == "packets" && w[2] == "bytes") {
        counter->packets = toUint(w[1]).value_or(0);
        counter->bytes = toUint(w[3]).value_or(0);
      }
      break;
    case Block::Other:
      otherDepth += balance;
      if (otherDepth <= 0)
        stack.pop_back();
      break;
    }
  }
  if (!stack.empty() || !pendingRule.empty())
    return "the ruleset ends inside a block";
  // Rules that add to a named counter show that counter's numbers.
  for (size_t t = firstTable; t < into.firewall.size(); ++t)
    for (FirewallChain& c : into.firewall[t].chains)
      for (FirewallRule& r : c.rules)
        if (!r.counterName.empty())
          for (const FirewallCounter& named : into.firewall[t].counters)
            if (named.name == r.counterName) {
              r.hasCounter = true;
              r.packets = named.packets;
              r.bytes = named.bytes;
            }
  return "";
}

// ---- the sources ----------------------------------------------------------------------------

std::string baseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Reads one source's output into `into`; returns why it cannot be read, or "".
std::string readSource(const std::string& name, const std::vector<std::string>& lines, NodeInspection& into) {
  if (name == "ip")
    return readIpBatch(lines, into);
  if (name == "sockets")
    return readSockets(lines, into);
  if (name == "iptables" || name == "ip6tables")
    return readIptablesSave(lines, name, into);
  if (name == "nftables")
    return readNftRuleset(lines, into);
  return ""; // a source of a newer script: shown in `sources`, its data left alone
}

const char* stateName(InspectionSource::State s) {
  switch (s) {
  case InspectionSource::State::Ok: return "ok";
  case InspectionSource::State::Absent: return "absent";
  case InspectionSource::State::Skipped: return "skipped";
  case InspectionSource::State::Failed: return "failed";
  }
  return "?";
}

} // namespace

std::string nodeInspectionScript(const std::string& nonce, InspectionScope scope) {
  // POSIX sh, for dash or busybox: no arrays, `local` or `$'...'`. Each source forks once:
  // `$(...)` keeps its standard error apart while its output goes straight out (fd 3). A
  // kernel with modules has nftables rules only when nf_tables is loaded; one without (umlab's
  // own) has it built in.
  const std::string firewall = R"(if [ -e /proc/net/ip_tables_names ]; then s iptables iptables-save -c
else k iptables no iptables table is loaded; fi
if [ -e /proc/net/ip6_tables_names ]; then s ip6tables ip6tables-save -c
else k ip6tables no ip6tables table is loaded; fi
if [ -d /sys/module/nf_tables ] || [ ! -e /proc/modules ]; then s nftables nft -a list ruleset
else k nftables nf_tables is not loaded; fi
printf '%s end\n' "$M"
)";
  return "M='" + std::string(kMarkerPrefix) + nonce + "'\n" +
         R"(printf '%s inspect 1\n' "$M"
ip=ip
for p in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do if [ -x "$p" ]; then ip=$p; break; fi; done
s() {
  n=$1; shift
  if ! command -v "$1" >/dev/null 2>&1; then printf '%s absent %s %s\n' "$M" "$n" "$1"; return 0; fi
  printf '%s source %s %s\n' "$M" "$n" "$1"
  { e=$("$@" 2>&1 >&3 3>&-); } 3>&1
  r=$?
  printf '\n%s status %s %s\n' "$M" "$n" "$r"
  if [ -n "$e" ]; then printf '%s\n' "$e"; fi
}
k() { printf '%s skipped %s\n' "$M" "$*"; }
)" + (scope == InspectionScope::Firewall ? std::string() : R"(s ip "$ip" -j -batch - <<'EOF'
address show
route show table all
neighbour show
EOF
s sockets ss -Hltunp
)") + firewall;
}

NodeInspection parseNodeInspection(const std::string& output) {
  NodeInspection in;
  const std::vector<std::string> lines = splitLines(output);
  // The first line names the marker: "@@umlab-inspect-NONCE inspect 1".
  size_t first = 0;
  while (first < lines.size() && lines[first].empty())
    ++first;
  if (first == lines.size() || lines[first].rfind(kMarkerPrefix, 0) != 0)
    return in;
  const std::vector<std::string> head = splitWords(lines[first]);
  if (head.size() < 2 || head[1] != "inspect")
    return in;
  const std::string marker = head[0] + " ";
  auto isMarker = [&](size_t i) { return lines[i].rfind(marker, 0) == 0; };
  for (size_t i = first + 1; i < lines.size();) {
    if (!isMarker(i)) {
      ++i; // nothing outside a source is the script's
      continue;
    }
    const std::vector<std::string> w = splitWords(std::string_view(lines[i]).substr(marker.size()));
    if (w.empty()) {
      ++i;
      continue;
    }
    if (w[0] == "end") {
      in.isComplete = true;
      break;
    }
    InspectionSource source;
    source.name = w.size() > 1 ? w[1] : "";
    if (w[0] == "absent" && w.size() >= 3) {
      source.tool = baseName(w[2]);
      source.state = InspectionSource::State::Absent;
      in.sources.push_back(std::move(source));
      ++i;
      continue;
    }
    if (w[0] == "skipped" && w.size() >= 2) {
      source.tool = source.name == "iptables"    ? "iptables-save"
                    : source.name == "ip6tables" ? "ip6tables-save"
                    : source.name == "nftables"  ? "nft"
                                                 : "";
      source.state = InspectionSource::State::Skipped;
      const std::string rest = lines[i].substr(marker.size());
      const size_t at = rest.find(source.name);
      source.note = trim(rest.substr(at + source.name.size()));
      in.sources.push_back(std::move(source));
      ++i;
      continue;
    }
    if (w[0] != "source" || w.size() < 3) {
      ++i;
      continue;
    }
    source.tool = baseName(w[2]);
    // Its output, up to its status line; then its error output, up to the next marker.
    size_t j = i + 1;
    while (j < lines.size() && !isMarker(j))
      ++j;
    const std::vector<std::string> body(lines.begin() + static_cast<std::ptrdiff_t>(i + 1),
                                        lines.begin() + static_cast<std::ptrdiff_t>(j));
    std::optional<int> status;
    std::string errors;
    i = j;
    if (j < lines.size()) {
      const std::vector<std::string> s = splitWords(std::string_view(lines[j]).substr(marker.size()));
      if (s.size() == 3 && s[0] == "status" && s[1] == source.name) {
        status = static_cast<int>(toUint(s[2]).value_or(255));
        size_t k = j + 1;
        while (k < lines.size() && !isMarker(k))
          ++k;
        errors = joined(lines, j + 1, k);
        i = k;
      }
    }
    std::string problem = readSource(source.name, body, in);
    if (!status)
      problem = "its output was cut short";
    else if (*status != 0)
      problem =
          "'" + source.tool + "' exited with status " + std::to_string(*status) + (errors.empty() ? "" : ": " + errors);
    else if (!problem.empty() && !errors.empty())
      problem += " (" + errors + ")";
    if (!problem.empty()) {
      source.state = InspectionSource::State::Failed;
      source.note = problem;
    }
    in.sources.push_back(std::move(source));
  }
  return in;
}

NodeInspection inspectNode(const LabClient& client, const std::string& lab, const std::string& node,
                           std::chrono::milliseconds timeout, InspectionScope scope) {
  std::random_device random;
  char nonce[17];
  std::snprintf(nonce, sizeof nonce, "%08x%08x", random(), random());
  ExecOptions o;
  o.timeout = timeout;
  o.maxCollected = 16u << 20; // a firewall of many thousand rules
  const ExecResult r = client.exec(lab, node, {"sh", "-c", nodeInspectionScript(nonce, scope)}, o);
  if (r.isRefused)
    throw RuntimeError(r.error);
  if (r.isTimedOut)
    throw RuntimeError("the inspection of node '" + node + "' did not finish within " +
                       std::to_string(timeout.count()) + " ms");
  if (r.exitCode != 0)
    throw RuntimeError("the inspection of node '" + node + "' failed" +
                       (r.error.empty() ? " (exit status " + std::to_string(r.exitCode) + ")" : ": " + r.error) +
                       (r.err.empty() ? "" : ": " + trim(r.err)));
  NodeInspection in = parseNodeInspection(r.out);
  if (!in.isComplete)
    throw RuntimeError("the inspection of node '" + node + "' was cut short");
  return in;
}

// ---- for people -----------------------------------------------------------------------------

namespace {

std::string counted(uint64_t packets, uint64_t bytes) {
  return std::to_string(packets) + " packets, " + std::to_string(bytes) + " bytes";
}

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

} // namespace

std::string renderNodeInspectionText(const NodeInspection& in) {
  std::ostringstream o;
  o << "interfaces:\n";
  if (in.interfaces.empty())
    o << "  (none read)\n";
  for (const InspectedInterface& i : in.interfaces) {
    std::string addresses;
    for (const InspectedAddress& a : i.addresses)
      addresses += " " + a.address + "/" + std::to_string(a.prefixLength);
    o << "  " << pad(i.name, 8) << pad(i.isUp ? "up" : "down", 5) << pad(i.mac.empty() ? "-" : i.mac, 18) << "mtu "
      << pad(std::to_string(i.mtu), 6) << addresses << "\n";
  }
  o << "routes:\n";
  if (in.routes.empty())
    o << "  (none)\n";
  for (const InspectedRoute& r : in.routes) {
    o << "  " << (r.type != "unicast" ? r.type + " " : "") << r.destination;
    if (!r.gateway.empty())
      o << " via " << r.gateway;
    if (!r.device.empty())
      o << " dev " << r.device;
    if (!r.protocol.empty())
      o << " proto " << r.protocol;
    if (!r.scope.empty())
      o << " scope " << r.scope;
    if (!r.source.empty())
      o << " src " << r.source;
    if (r.metric >= 0)
      o << " metric " << r.metric;
    o << "\n";
  }
  o << "neighbours:\n";
  if (in.neighbours.empty())
    o << "  (none)\n";
  for (const InspectedNeighbour& n : in.neighbours)
    o << "  " << n.address << " dev " << n.device << (n.mac.empty() ? "" : " lladdr " + n.mac)
      << (n.isRouter ? " router" : "") << " " << n.state << "\n";
  o << "listening sockets:\n";
  if (in.sockets.empty())
    o << "  (none)\n";
  for (const InspectedSocket& s : in.sockets) {
    const bool v6 = s.address.find(':') != std::string::npos;
    std::string who;
    for (const SocketProcess& p : s.processes)
      who += (who.empty() ? "" : ", ") + p.name + " (pid " + std::to_string(p.pid) + ")";
    o << "  " << pad(s.protocol, 5) << pad((v6 ? "[" + s.address + "]" : s.address) + ":" + s.port, 28) << who << "\n";
  }
  for (const FirewallTable& t : in.firewall) {
    o << "firewall: " << t.source << " table " << t.family << " " << t.name << ":\n";
    for (const FirewallCounter& c : t.counters)
      o << "  counter " << c.name << ": " << counted(c.packets, c.bytes) << "\n";
    for (const FirewallChain& c : t.chains) {
      o << "  chain " << c.name;
      if (!c.hook.empty())
        o << " (" << c.type << " hook " << c.hook << ")";
      if (!c.policy.empty())
        o << " policy " << c.policy;
      if (c.hasPolicyCounter)
        o << ": " << counted(c.packets, c.bytes);
      o << "\n";
      for (const FirewallRule& r : c.rules) {
        char numbers[64] = "";
        if (r.hasCounter)
          std::snprintf(numbers, sizeof numbers, "%8llu %10llu", static_cast<unsigned long long>(r.packets),
                        static_cast<unsigned long long>(r.bytes));
        else
          std::snprintf(numbers, sizeof numbers, "%8s %10s", "-", "-");
        o << "    " << numbers << "  " << r.text << "\n";
      }
    }
  }
  bool header = false;
  for (const InspectionSource& s : in.sources) {
    if (s.state == InspectionSource::State::Ok)
      continue;
    if (!header)
      o << "not available:\n";
    header = true;
    o << "  " << s.name << ": ";
    if (s.state == InspectionSource::State::Absent)
      o << "'" << s.tool << "' is not installed";
    else
      o << s.note;
    o << "\n";
  }
  if (!in.isComplete)
    o << "(the inspection was cut short)\n";
  return o.str();
}

// ---- for scripts ----------------------------------------------------------------------------

std::string nodeInspectionJson(const NodeInspection& in) {
  JsonWriter w;
  w.beginObject().field("complete", in.isComplete);
  w.key("sources").beginArray();
  for (const InspectionSource& s : in.sources)
    w.beginObject()
        .field("name", s.name)
        .field("tool", s.tool)
        .field("state", stateName(s.state))
        .field("note", s.note)
        .endObject();
  w.endArray();
  w.key("interfaces").beginArray();
  for (const InspectedInterface& i : in.interfaces) {
    w.beginObject()
        .field("name", i.name)
        .field("up", i.isUp)
        .field("operState", i.operState)
        .field("mac", i.mac)
        .field("mtu", i.mtu);
    w.key("addresses").beginArray();
    for (const InspectedAddress& a : i.addresses)
      w.beginObject()
          .field("family", a.family)
          .field("address", a.address)
          .field("prefixLength", a.prefixLength)
          .field("scope", a.scope)
          .endObject();
    w.endArray().endObject();
  }
  w.endArray();
  w.key("routes").beginArray();
  for (const InspectedRoute& r : in.routes) {
    w.beginObject()
        .field("family", r.family)
        .field("destination", r.destination)
        .field("gateway", r.gateway)
        .field("device", r.device)
        .field("protocol", r.protocol)
        .field("scope", r.scope)
        .field("source", r.source)
        .field("type", r.type)
        .key("metric");
    if (r.metric >= 0)
      w.value(r.metric);
    else
      w.null();
    w.endObject();
  }
  w.endArray();
  w.key("neighbours").beginArray();
  for (const InspectedNeighbour& n : in.neighbours)
    w.beginObject()
        .field("family", n.family)
        .field("address", n.address)
        .field("device", n.device)
        .field("mac", n.mac)
        .field("state", n.state)
        .field("router", n.isRouter)
        .endObject();
  w.endArray();
  w.key("sockets").beginArray();
  for (const InspectedSocket& s : in.sockets) {
    w.beginObject()
        .field("protocol", s.protocol)
        .field("state", s.state)
        .field("address", s.address)
        .field("port", s.port);
    w.key("processes").beginArray();
    for (const SocketProcess& p : s.processes)
      w.beginObject().field("name", p.name).field("pid", p.pid).endObject();
    w.endArray().endObject();
  }
  w.endArray();
  auto counters = [&](bool has, uint64_t packets, uint64_t bytes) {
    w.key("packets");
    has ? w.value(packets) : w.null();
    w.key("bytes");
    has ? w.value(bytes) : w.null();
  };
  w.key("firewall").beginArray();
  for (const FirewallTable& t : in.firewall) {
    w.beginObject().field("source", t.source).field("family", t.family).field("name", t.name);
    w.key("counters").beginArray();
    for (const FirewallCounter& c : t.counters)
      w.beginObject().field("name", c.name).field("packets", c.packets).field("bytes", c.bytes).endObject();
    w.endArray();
    w.key("chains").beginArray();
    for (const FirewallChain& c : t.chains) {
      w.beginObject().field("name", c.name).field("policy", c.policy).field("type", c.type).field("hook", c.hook);
      counters(c.hasPolicyCounter, c.packets, c.bytes);
      w.key("rules").beginArray();
      for (const FirewallRule& r : c.rules) {
        w.beginObject().field("text", r.text);
        counters(r.hasCounter, r.packets, r.bytes);
        w.key("handle");
        r.handle >= 0 ? w.value(r.handle) : w.null();
        w.field("counterName", r.counterName).endObject();
      }
      w.endArray().endObject();
    }
    w.endArray().endObject();
  }
  w.endArray();
  w.endObject();
  return w.str();
}

} // namespace umlab::lab::runtime
