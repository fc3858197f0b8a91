#include "umlab/lab/runtime/firewall_decision.hpp"

#include <catch2/catch.hpp>

using namespace umlab::lab::runtime;

namespace {

FirewallRule rule(std::string text, uint64_t packets, int64_t handle = -1, bool hasCounter = true) {
  return FirewallRule{std::move(text), hasCounter, packets, packets * 60, handle, ""};
}

/// fwreplay's iptables filter table: FORWARD with a policy counter, and the INPUT chain.
FirewallTable iptablesFilter(uint64_t established, uint64_t web, uint64_t ident, uint64_t policy, uint64_t input = 0) {
  FirewallTable t{"iptables", "ip", "filter", {}, {}};
  FirewallChain in{"INPUT", "ACCEPT", "", "", true, input, 0, {}};
  FirewallChain fwd{"FORWARD", "DROP", "", "", true, policy, 0, {}};
  fwd.rules = {rule("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", established),
               rule("-A FORWARD -i eth0 -j LOG --log-prefix \"in \"", web + ident + policy),
               rule("-A FORWARD -i eth0 -p tcp -m tcp --dport 80 -j ACCEPT", web),
               rule("-A FORWARD -i eth0 -p tcp -m tcp --dport 113 -j REJECT --reject-with tcp-reset", ident)};
  t.chains = {in, fwd};
  return t;
}

} // namespace

TEST_CASE("the iptables rule whose counter rose decides, and a LOG rule passed on the way does not",
          "[lab][replay][rules]") {
  const std::vector<FirewallTable> before{iptablesFilter(5, 2, 0, 1)};
  CHECK(decidingRules(before, {iptablesFilter(5, 3, 0, 1)}) == "iptables: -A FORWARD -i eth0 -p tcp -m tcp --dport 80 -j ACCEPT");
  CHECK(decidingRules(before, {iptablesFilter(5, 2, 1, 1)}) ==
        "iptables: -A FORWARD -i eth0 -p tcp -m tcp --dport 113 -j REJECT --reject-with tcp-reset");
  // Nothing matched: the chain's policy counted it.
  CHECK(decidingRules(before, {iptablesFilter(5, 2, 0, 2)}) == "iptables: -P FORWARD DROP");
  // Nothing moved, or only the INPUT chain (the node's own traffic): no answer, not a guess.
  CHECK(decidingRules(before, before).empty());
  CHECK(decidingRules(before, {iptablesFilter(5, 2, 0, 1, 9)}).empty());
}

TEST_CASE("a rule set that changed between the reads, or a table that appeared, says nothing", "[lab][replay][rules]") {
  FirewallTable changed = iptablesFilter(5, 3, 0, 1);
  changed.chains[1].rules[2].text = "-A FORWARD -i eth0 -p tcp -m tcp --dport 8080 -j ACCEPT";
  CHECK(decidingRules({iptablesFilter(5, 2, 0, 1)}, {changed}).empty());
  CHECK(decidingRules({}, {iptablesFilter(5, 3, 0, 1)}).empty());
}

TEST_CASE("user chains on the forward path count, and a jump is no decision", "[lab][replay][rules]") {
  auto table = [](uint64_t jumps, uint64_t drops) {
    FirewallTable t{"ip6tables", "ip6", "filter", {}, {}};
    FirewallChain fwd{"FORWARD", "ACCEPT", "", "", true, 0, 0, {rule("-A FORWARD -i eth3 -j from_wan", jumps)}};
    FirewallChain user{"from_wan", "", "", "", false, 0, 0, {rule("-A from_wan -p tcp -m tcp --dport 22 -j DROP", drops)}};
    t.chains = {fwd, user};
    return t;
  };
  CHECK(decidingRules({table(1, 0)}, {table(2, 1)}) == "ip6tables: -A from_wan -p tcp -m tcp --dport 22 -j DROP");
}

TEST_CASE("nftables: the forward hook's rule with a counter, by handle, without its counter words", "[lab][replay][rules]") {
  auto table = [](uint64_t ssh, uint64_t banned, uint64_t uncounted) {
    FirewallTable t{"nftables", "inet", "filter", {}, {{"banned_drops", banned, banned * 60}}};
    FirewallChain in{"input", "drop", "filter", "input", false, 0, 0,
                     {rule("tcp dport 22 counter packets " + std::to_string(ssh) + " bytes 0 accept", ssh, 3)}};
    FirewallChain fwd{"forward", "drop", "filter", "forward", false, 0, 0, {}};
    fwd.rules = {rule("tcp dport 22 counter packets " + std::to_string(ssh) + " bytes " + std::to_string(ssh * 60) + " drop", ssh, 7),
                 FirewallRule{"udp dport 53 counter name \"banned_drops\" drop", false, 0, 0, 8, "banned_drops"},
                 rule("tcp dport 80 accept", uncounted, 9, false)};
    t.chains = {in, fwd};
    return t;
  };
  CHECK(decidingRules({table(1, 0, 0)}, {table(2, 0, 0)}) == "nftables: inet filter forward handle 7: tcp dport 22 drop");
  CHECK(decidingRules({table(1, 4, 0)}, {table(1, 5, 0)}) ==
        "nftables: inet filter forward handle 8: udp dport 53 counter name \"banned_drops\" drop");
  // A rule without a counter, or the policy (nftables does not count it), cannot tell.
  CHECK(decidingRules({table(1, 0, 0)}, {table(1, 0, 7)}).empty());
}

TEST_CASE("a packet two firewalls decided names both", "[lab][replay][rules]") {
  FirewallTable nft{"nftables", "ip", "filter", {}, {}};
  auto withAccepts = [&](uint64_t n) {
    FirewallTable t = nft;
    t.chains = {FirewallChain{"fwd", "accept", "filter", "forward", false, 0, 0,
                              {rule("ip daddr 10.0.1.10 counter packets " + std::to_string(n) + " bytes 0 accept", n, 4)}}};
    return t;
  };
  CHECK(decidingRules({iptablesFilter(0, 0, 0, 0), withAccepts(0)}, {iptablesFilter(0, 1, 0, 0), withAccepts(1)}) ==
        "iptables: -A FORWARD -i eth0 -p tcp -m tcp --dport 80 -j ACCEPT; nftables: ip filter fwd handle 4: ip daddr "
        "10.0.1.10 accept");
}
