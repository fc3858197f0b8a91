#include "umlab/lab/runtime/firewall_decision.hpp"

#include <optional>
#include <regex>

namespace umlab::lab::runtime {

namespace {

const FirewallTable* sameTable(const std::vector<FirewallTable>& tables, const FirewallTable& t) {
  for (const FirewallTable& b : tables)
    if (b.source == t.source && b.family == t.family && b.name == t.name)
      return &b;
  return nullptr;
}

const FirewallChain* sameChain(const FirewallTable* table, const std::string& name) {
  if (!table)
    return nullptr;
  for (const FirewallChain& c : table->chains)
    if (c.name == name)
      return &c;
  return nullptr;
}

bool isIptables(const FirewallTable& t) { return t.source == "iptables" || t.source == "ip6tables"; }

/// A forwarded packet meets this chain: see the design notes.
bool isForwardPath(const FirewallTable& t, const FirewallChain& c) {
  if (isIptables(t))
    return t.name == "filter" && (c.name == "FORWARD" || c.policy.empty());
  return c.hook == "forward" || c.hook.empty();
}

bool isFinalVerdict(const FirewallTable& t, const std::string& text) {
  static const std::regex iptables(R"((^|\s)-j\s+(ACCEPT|DROP|REJECT)(\s|$))");
  static const std::regex nftables(R"((^|\s)(accept|drop|reject)(\s|$))");
  return std::regex_search(text, isIptables(t) ? iptables : nftables);
}

/// nftables' rule text without its counter's words, which change with every packet.
std::string withoutCounter(const std::string& text) {
  static const std::regex counter(R"(\s*counter packets \d+ bytes \d+)");
  return std::regex_replace(text, counter, "");
}

/// A rule's packets: its own counter's, or the named counter's it adds to (nftables).
std::optional<uint64_t> packetsOf(const FirewallTable& t, const FirewallRule& r) {
  if (r.counterName.empty())
    return isIptables(t) || r.hasCounter ? std::optional<uint64_t>(r.packets) : std::nullopt;
  for (const FirewallCounter& c : t.counters)
    if (c.name == r.counterName)
      return c.packets;
  return std::nullopt;
}

/// The same rule in the chain read before: by position and text for iptables, by handle for
/// nftables (whose text holds its counter).
const FirewallRule* sameRule(const FirewallTable& t, const FirewallChain* was, size_t index, const FirewallRule& r) {
  if (!was)
    return nullptr;
  if (isIptables(t))
    return index < was->rules.size() && was->rules[index].text == r.text ? &was->rules[index] : nullptr;
  for (const FirewallRule& w : was->rules)
    if (w.handle == r.handle && withoutCounter(w.text) == withoutCounter(r.text))
      return &w;
  return nullptr;
}

} // namespace

std::string decidingRules(const std::vector<FirewallTable>& before, const std::vector<FirewallTable>& after) {
  std::string decided;
  auto add = [&](const std::string& what) { decided += (decided.empty() ? "" : "; ") + what; };
  for (const FirewallTable& t : after) {
    const FirewallTable* old = sameTable(before, t);
    for (const FirewallChain& c : t.chains) {
      if (!isForwardPath(t, c))
        continue;
      const FirewallChain* was = sameChain(old, c.name);
      for (size_t i = 0; i < c.rules.size(); ++i) {
        const FirewallRule& r = c.rules[i];
        // A rule that was not there before (the rule set changed) or counts nothing says nothing.
        const FirewallRule* w = sameRule(t, was, i, r);
        const std::optional<uint64_t> now = packetsOf(t, r);
        const std::optional<uint64_t> earlier = w && old ? packetsOf(*old, *w) : std::nullopt;
        if (!now || !earlier || *now <= *earlier || !isFinalVerdict(t, r.text))
          continue;
        if (isIptables(t))
          add(t.source + ": " + r.text);
        else
          add("nftables: " + t.family + " " + t.name + " " + c.name + " handle " + std::to_string(r.handle) + ": " +
              withoutCounter(r.text));
      }
      if (isIptables(t) && c.hasPolicyCounter && was && was->hasPolicyCounter && c.packets > was->packets)
        add(t.source + ": -P " + c.name + " " + c.policy);
    }
  }
  return decided;
}

} // namespace umlab::lab::runtime
