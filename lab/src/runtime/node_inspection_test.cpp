// The inspection parser on output captured from real guests (node_inspection_samples/, made by
// running `nodeInspectionScript("0123456789abcdef")` through `umlab exec` in the dmz and nftables
// labs, with a few rules added by hand), and on the cases a guest can make up.
#include "umlab/lab/runtime/node_inspection.hpp"

#include "umlab/base/json_value.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

using namespace umlab;
using namespace umlab::lab::runtime;

namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(UMLAB_SOURCE_DIR) + "/lab/src/runtime/node_inspection_samples/" + name,
                   std::ios::binary);
  REQUIRE(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const InspectionSource& source(const NodeInspection& in, const std::string& name) {
  auto it =
      std::find_if(in.sources.begin(), in.sources.end(), [&](const InspectionSource& s) { return s.name == name; });
  REQUIRE(it != in.sources.end());
  return *it;
}

const InspectedInterface& interface(const NodeInspection& in, const std::string& name) {
  auto it = std::find_if(in.interfaces.begin(), in.interfaces.end(),
                         [&](const InspectedInterface& i) { return i.name == name; });
  REQUIRE(it != in.interfaces.end());
  return *it;
}

const FirewallTable& table(const NodeInspection& in, const std::string& source, const std::string& family,
                           const std::string& name) {
  auto it = std::find_if(in.firewall.begin(), in.firewall.end(), [&](const FirewallTable& t) {
    return t.source == source && t.family == family && t.name == name;
  });
  REQUIRE(it != in.firewall.end());
  return *it;
}

const FirewallChain& chain(const FirewallTable& t, const std::string& name) {
  auto it = std::find_if(t.chains.begin(), t.chains.end(), [&](const FirewallChain& c) { return c.name == name; });
  REQUIRE(it != t.chains.end());
  return *it;
}

const std::string kMarker = "@@umlab-inspect-00000000000000aa";

} // namespace

TEST_CASE("the dmz firewall's interfaces, routes, neighbours and iptables counters are read", "[lab][inspect]") {
  const NodeInspection in = parseNodeInspection(sample("dmz-fw.txt"));
  CHECK(in.isComplete);
  REQUIRE(in.sources.size() == 5);
  for (const InspectionSource& s : in.sources)
    CHECK(s.state == InspectionSource::State::Ok);
  CHECK(source(in, "ip").tool == "ip");
  CHECK(source(in, "iptables").tool == "iptables-save");

  REQUIRE(in.interfaces.size() == 4);
  const InspectedInterface& eth2 = interface(in, "eth2");
  CHECK(eth2.isUp);
  CHECK(eth2.operState == "UNKNOWN");
  CHECK(eth2.mac == "06:a2:2b:2d:26:26");
  CHECK(eth2.mtu == 1500);
  REQUIRE(eth2.addresses.size() == 2);
  CHECK(eth2.addresses[0] == InspectedAddress{4, "198.51.100.1", 24, "global"});
  CHECK(eth2.addresses[1] == InspectedAddress{6, "fe80::4a2:2bff:fe2d:2626", 64, "link"});
  CHECK(interface(in, "lo").addresses[0].address == "127.0.0.1");

  // IPv4 first, then IPv6, of the main table (the local table's are left out); a static route
  // has a gateway and no protocol.
  REQUIRE(in.routes.size() == 8);
  CHECK(in.routes[0].destination == "10.0.0.0/24");
  CHECK(in.routes[0].protocol == "kernel");
  CHECK(in.routes[0].scope == "link");
  CHECK(in.routes[0].source == "10.0.0.1");
  CHECK(in.routes[0].metric == -1);
  CHECK(in.routes[2].destination == "192.0.2.0/24");
  CHECK(in.routes[2].gateway == "10.0.1.10");
  CHECK(in.routes[2].device == "eth1");
  CHECK(in.routes[2].protocol.empty());
  CHECK(in.routes[4].family == 6);
  CHECK(in.routes[4].destination == "2001:db8:1::/64");
  CHECK(in.routes[4].gateway == "fe80::1");
  CHECK(in.routes[4].metric == 1024);
  CHECK(in.routes[4].type == "unicast");

  REQUIRE(in.neighbours.size() == 7);
  CHECK(in.neighbours[0] == InspectedNeighbour{4, "10.0.1.10", "eth1", "e6:16:9e:89:22:7e", "STALE", false});
  CHECK(in.neighbours[5].family == 6);
  CHECK(in.neighbours[5].device == "eth2");
  CHECK(in.sockets.empty()); // the firewall listens on nothing

  // iptables: nat and filter (IPv4), filter (IPv6); policies with their counters, rules with
  // theirs, a user chain without a policy.
  REQUIRE(in.firewall.size() == 3);
  const FirewallTable& nat = table(in, "iptables", "ip", "nat");
  CHECK(chain(nat, "PREROUTING").packets == 5);
  CHECK(chain(nat, "PREROUTING").bytes == 348);
  REQUIRE(chain(nat, "POSTROUTING").rules.size() == 1);
  CHECK(chain(nat, "POSTROUTING").rules[0] ==
        FirewallRule{"-A POSTROUTING -s 10.0.0.0/24 -o eth2 -j MASQUERADE", true, 1, 84, -1, ""});
  const FirewallTable& filter = table(in, "iptables", "ip", "filter");
  const FirewallChain& forward = chain(filter, "FORWARD");
  CHECK(forward.policy == "DROP");
  CHECK(forward.hasPolicyCounter);
  REQUIRE(forward.rules.size() == 3);
  CHECK(forward.rules[0].text == "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
  CHECK(forward.rules[0].packets == 11);
  CHECK(forward.rules[0].bytes == 776);
  const FirewallChain& wanIn = chain(filter, "wan_in");
  CHECK(wanIn.policy.empty());
  CHECK_FALSE(wanIn.hasPolicyCounter);
  REQUIRE(wanIn.rules.size() == 1);
  CHECK(wanIn.rules[0].packets == 2);
  CHECK(chain(filter, "INPUT").rules[0].text == "-A INPUT -i eth2 -j wan_in");
  const FirewallTable& filter6 = table(in, "ip6tables", "ip6", "filter");
  CHECK(chain(filter6, "INPUT").rules[0].bytes == 576);
}

TEST_CASE("nftables: chains with hooks and policies, rules with handles, own and named counters", "[lab][inspect]") {
  const NodeInspection in = parseNodeInspection(sample("nftables-fw.txt"));
  CHECK(in.isComplete);
  for (const InspectionSource& s : in.sources)
    CHECK(s.state == InspectionSource::State::Ok);
  // umlab's kernel has iptables built in with no table in use: iptables-save ran and listed none.
  CHECK(std::none_of(in.firewall.begin(), in.firewall.end(),
                     [](const FirewallTable& t) { return t.source != "nftables"; }));
  REQUIRE(in.firewall.size() == 2);
  const FirewallTable& filter = table(in, "nftables", "inet", "filter");
  CHECK(filter.counters ==
        std::vector<FirewallCounter>{{"wan_ping_drops", 2, 168}, {"banned_drops", 0, 0}, {"forward_drops", 0, 0}});
  // The sets are not chains.
  REQUIRE(filter.chains.size() == 5);
  const FirewallChain& input = chain(filter, "input");
  CHECK(input.type == "filter");
  CHECK(input.hook == "input");
  CHECK(input.policy == "drop");
  REQUIRE(input.rules.size() == 8);
  CHECK(input.rules[0] == FirewallRule{"icmp type echo-request counter packets 3 bytes 252", true, 3, 252, 30, ""});
  CHECK(input.rules[1].text == "ct state established,related accept");
  CHECK_FALSE(input.rules[1].hasCounter);
  CHECK(input.rules[1].handle == 11);
  CHECK(input.rules[4].text == "iifname \"eth0\" accept comment \"the lan manages the firewall\"");
  // A brace inside a comment does not open a block.
  CHECK(input.rules[7].text == "udp dport 53 counter name \"banned_drops\" drop comment \"a { in a comment\"");
  CHECK(input.rules[7].counterName == "banned_drops");
  // A rule that adds to a named counter shows that counter's numbers.
  const FirewallChain& fromWan = chain(filter, "from_wan");
  REQUIRE(fromWan.rules.size() == 3);
  CHECK(fromWan.rules[2].counterName == "wan_ping_drops");
  CHECK(fromWan.rules[2].hasCounter);
  CHECK(fromWan.rules[2].packets == 2);
  CHECK(chain(filter, "forward").rules[2].text ==
        "iifname vmap { \"eth0\" : jump from_lan, \"eth1\" : jump from_dmz, \"eth2\" : jump from_wan }");
  const FirewallTable& nat = table(in, "nftables", "ip", "nat");
  CHECK(chain(nat, "prerouting").type == "nat");
  CHECK(chain(nat, "prerouting").policy == "accept");
  CHECK(chain(nat, "postrouting").rules[0].text == "oifname \"eth2\" ip saddr 10.0.0.0/24 masquerade");
}

TEST_CASE("a listening socket carries its process, and a node without tables skips iptables", "[lab][inspect]") {
  const NodeInspection in = parseNodeInspection(sample("dmz-web.txt"));
  CHECK(in.isComplete);
  REQUIRE(in.sockets.size() == 1);
  CHECK(in.sockets[0] == InspectedSocket{"tcp", "LISTEN", "0.0.0.0", "80", {{"nc", 720}}});
  CHECK(in.routes[0].destination == "default");
  CHECK(in.routes[0].gateway == "10.0.1.1");
  CHECK(source(in, "iptables").state == InspectionSource::State::Skipped);
  CHECK(source(in, "iptables").note == "no iptables table is loaded");
  CHECK(source(in, "nftables").state == InspectionSource::State::Ok);
  CHECK(in.firewall.empty());
  const std::string text = renderNodeInspectionText(in);
  CHECK(text.find("  tcp  0.0.0.0:80") != std::string::npos);
  CHECK(text.find("nc (pid 720)") != std::string::npos);
  CHECK(text.find("  iptables: no iptables table is loaded\n") != std::string::npos);
}

TEST_CASE("a tool the guest lacks is reported absent, and the rest is read", "[lab][inspect]") {
  // Captured with PATH=/usr/bin:/bin: ss is there, nft (in /usr/sbin) is not.
  const NodeInspection in = parseNodeInspection(sample("dmz-pc1-few-tools.txt"));
  CHECK(in.isComplete);
  CHECK(source(in, "nftables").state == InspectionSource::State::Absent);
  CHECK(source(in, "nftables").tool == "nft");
  CHECK(source(in, "sockets").state == InspectionSource::State::Ok);
  CHECK(interface(in, "eth0").addresses[0].address == "10.0.0.2");
  CHECK(renderNodeInspectionText(in).find("  nftables: 'nft' is not installed\n") != std::string::npos);
}

TEST_CASE("a kernel without nf_tables loaded is not asked for a ruleset", "[lab][inspect]") {
  const NodeInspection in = parseNodeInspection(sample("dmz-wan1.txt"));
  CHECK(in.isComplete);
  CHECK(source(in, "nftables").state == InspectionSource::State::Skipped);
  CHECK(source(in, "nftables").tool == "nft");
  CHECK(source(in, "nftables").note == "nf_tables is not loaded");
  CHECK(in.firewall.empty());
  CHECK(in.routes[0].destination == "default");
  CHECK(in.routes[0].gateway == "198.51.100.1");
}

TEST_CASE("a failing tool is reported with its status and its own words", "[lab][inspect]") {
  const std::string out = kMarker + " inspect 1\n" + kMarker + " source nftables /usr/sbin/nft\n\n" + kMarker +
                          " status nftables 1\nnetlink: Error: cache initialization failed: Operation not permitted\n" +
                          kMarker +
                          " source sockets ss\ntcp LISTEN 0 128 [::]:22 [::]:* users:((\"sshd\",pid=5,fd=3))\n\n" +
                          kMarker + " status sockets 0\n" + kMarker + " end\n";
  const NodeInspection in = parseNodeInspection(out);
  CHECK(in.isComplete);
  const InspectionSource& nft = source(in, "nftables");
  CHECK(nft.state == InspectionSource::State::Failed);
  CHECK(nft.note == "'nft' exited with status 1: netlink: Error: cache initialization failed: Operation not permitted");
  REQUIRE(in.sockets.size() == 1);
  CHECK(in.sockets[0].address == "::");
  CHECK(in.sockets[0].port == "22");
  CHECK(in.sockets[0].processes == std::vector<SocketProcess>{{"sshd", 5}});
}

TEST_CASE("output the guest makes up cannot pass for markers, and cut-short output is seen as such", "[lab][inspect]") {
  SECTION("a marker with another nonce is the tool's data") {
    const std::string out = kMarker + " inspect 1\n" + kMarker + " source iptables iptables-save\n*filter\n" +
                            "@@umlab-inspect-ffffffffffffffff end\n:INPUT ACCEPT [0:0]\nCOMMIT\n\n" + kMarker +
                            " status iptables 0\n" + kMarker + " end\n";
    const NodeInspection in = parseNodeInspection(out);
    CHECK(in.isComplete);
    // The foreign line is not a rule the parser understands: the source says so.
    CHECK(source(in, "iptables").state == InspectionSource::State::Failed);
    CHECK(source(in, "iptables").note.find("cannot read the rule '@@umlab-inspect-ffffffffffffffff end'") == 0);
  }
  SECTION("no end marker") {
    std::string out = sample("dmz-fw.txt");
    out = out.substr(0, out.find("status iptables"));
    const NodeInspection in = parseNodeInspection(out);
    CHECK_FALSE(in.isComplete);
    CHECK(source(in, "ip").state == InspectionSource::State::Ok);
    CHECK(source(in, "iptables").state == InspectionSource::State::Failed);
    CHECK(source(in, "iptables").note == "its output was cut short");
    CHECK(renderNodeInspectionText(in).find("(the inspection was cut short)") != std::string::npos);
  }
  SECTION("not the script's output at all") {
    for (const std::string& text :
         {std::string(), std::string("sh: 1: Syntax error\n"), std::string("@@umlab-inspect-x\n")}) {
      const NodeInspection in = parseNodeInspection(text);
      CHECK_FALSE(in.isComplete);
      CHECK(in.sources.empty());
    }
  }
  SECTION("ip's JSON cut in the middle") {
    const std::string out = kMarker + " inspect 1\n" + kMarker + " source ip ip\n[{\"ifname\":\"eth0\"\n\n" + kMarker +
                            " status ip 0\n" + kMarker + " end\n";
    const NodeInspection in = parseNodeInspection(out);
    CHECK(source(in, "ip").state == InspectionSource::State::Failed);
    CHECK(source(in, "ip").note.rfind("cannot read the addresses: ", 0) == 0);
  }
}

TEST_CASE("the script's markers carry its nonce", "[lab][inspect]") {
  const std::string script = nodeInspectionScript("0123456789abcdef");
  CHECK(script.rfind("M='@@umlab-inspect-0123456789abcdef'\n", 0) == 0);
  CHECK(script.find("iptables-save -c") != std::string::npos);
  CHECK(script.find("nft -a list ruleset") != std::string::npos);
}

TEST_CASE("the JSON form has every field, counters null where nothing counts", "[lab][inspect]") {
  const NodeInspection in = parseNodeInspection(sample("nftables-fw.txt"));
  JsonError error;
  const std::optional<JsonValue> json = parseJson(nodeInspectionJson(in), error);
  REQUIRE(json);
  CHECK(json->find("complete")->asBool() == std::optional<bool>(true));
  const JsonArray* firewall = json->find("firewall")->asArray();
  REQUIRE(firewall);
  REQUIRE(firewall->size() == 2);
  const JsonValue& input = (*(*firewall)[0].find("chains")->asArray())[0];
  CHECK(jsonString(input, "hook") == "input");
  const JsonArray& rules = *input.find("rules")->asArray();
  CHECK(rules[0].find("packets")->asUint() == std::optional<uint64_t>(3));
  CHECK(rules[0].find("handle")->asInt() == std::optional<int64_t>(30));
  CHECK(rules[1].find("packets")->isNull());
  const JsonArray* interfaces = json->find("interfaces")->asArray();
  REQUIRE(interfaces);
  // umlab's kernel has tunnel devices too (tunl0, sit0, ...): eth0 is found by name.
  auto eth0 = std::find_if(interfaces->begin(), interfaces->end(),
                           [](const JsonValue& i) { return jsonString(i, "name") == "eth0"; });
  REQUIRE(eth0 != interfaces->end());
  const JsonArray* addresses = eth0->find("addresses")->asArray();
  REQUIRE(addresses);
  REQUIRE_FALSE(addresses->empty());
  CHECK((*addresses)[0].find("prefixLength")->asInt() == std::optional<int64_t>(24));
  CHECK(json->find("sources")->asArray()->size() == 5);
}
