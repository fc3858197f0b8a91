#include "umlab/lab/replay/flow_report.hpp"

#include "umlab/base/json_value.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::lab::replay;
using umlab::transports::FlowTuple;

namespace {

FlowTuple tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  return {6, *IpAddress::parse(src), sport, *IpAddress::parse(dst), dport};
}

} // namespace

TEST_CASE("a flow's verdict comes from what was delivered and what came back", "[replay][report]") {
  FlowRecord f;
  f.forward = {3, 3, 0};
  f.reverse = {2, 2, 0};
  CHECK(f.verdict() == Verdict::Passed);
  f.forward = {2, 0, 0};
  f.reverse = {};
  CHECK(f.verdict() == Verdict::Dropped);
  f.forward = {2, 0, 1};
  CHECK(f.verdict() == Verdict::Rejected);
  f.forward = {3, 2, 0};
  CHECK(f.verdict() == Verdict::Partial);
  f.forward = {3, 2, 1}; // some crossed, then a rejection: partial, not rejected
  CHECK(f.verdict() == Verdict::Partial);
  for (Verdict v : {Verdict::Passed, Verdict::Rejected, Verdict::Dropped, Verdict::Partial})
    CHECK(parseVerdict(verdictName(v)) == v);
  CHECK_FALSE(parseVerdict("accepted"));
}

TEST_CASE("both directions of a flow are one record, an echo and its reply too", "[replay][report]") {
  FlowTable t;
  bool isReverse = true;
  t.find(tcp("10.0.0.2", 40000, "10.0.1.10", 80), isReverse).forward.sent++;
  CHECK_FALSE(isReverse);
  t.find(tcp("10.0.1.10", 80, "10.0.0.2", 40000), isReverse).reverse.sent++;
  CHECK(isReverse);
  t.find(tcp("10.0.0.2", 40001, "10.0.1.10", 80), isReverse);
  CHECK(t.flows().size() == 2);
  // flowOf keys an echo request and its reply by the identifier as the source port of both.
  const FlowTuple request{1, *IpAddress::parse("10.0.0.2"), 0x1d2a, *IpAddress::parse("8.8.8.8"), 0};
  const FlowTuple reply{1, *IpAddress::parse("8.8.8.8"), 0x1d2a, *IpAddress::parse("10.0.0.2"), 0};
  t.find(request, isReverse);
  t.find(reply, isReverse);
  CHECK(isReverse);
  CHECK(t.flows().size() == 3);
  CHECK_FALSE(t.lookup(tcp("10.0.0.9", 1, "10.0.0.8", 2)));
  REQUIRE(t.lookup(tcp("10.0.1.10", 80, "10.0.0.2", 40000)));
  CHECK(t.lookup(tcp("10.0.1.10", 80, "10.0.0.2", 40000))->second);
}

TEST_CASE("the report renders as text, JSON and CSV with the same flows", "[replay][report]") {
  ReplayReport r;
  r.lab = "dmz";
  r.node = "fw";
  r.capture = "week.pcap";
  r.packetsRead = 10;
  r.packetsInjected = 6;
  r.skipped["ARP (the replay answers the node's ARP itself)"] = {4, "frame 1"};
  bool isReverse = false;
  FlowRecord& web = r.flows.find(tcp("198.51.100.7", 40000, "10.0.1.10", 80), isReverse);
  web.forward = {3, 3, 0};
  web.reverse = {2, 2, 0};
  FlowRecord& ssh = r.flows.find(tcp("198.51.100.9", 40001, "10.0.1.10", 22), isReverse);
  ssh.forward = {1, 0, 1};
  ssh.reason = "tcp reset from 10.0.1.10";

  const std::string text = renderText(r);
  CHECK(text.find("packets: 10 read, 6 injected, 4 skipped") != std::string::npos);
  CHECK(text.find("flows: 2, 1 passed, 1 rejected, 0 dropped, 0 partial") != std::string::npos);
  CHECK(text.find("198.51.100.9:40001") != std::string::npos);
  CHECK(text.find("tcp reset from 10.0.1.10") != std::string::npos);

  JsonError jsonError;
  const std::optional<JsonValue> json = parseJson(renderJson(r), jsonError);
  REQUIRE(json);
  const JsonArray& flows = *json->find("flows")->asArray();
  REQUIRE(flows.size() == 2);
  auto field = [&](size_t k, const char* name) { return flows[k].find(name); };
  CHECK(field(0, "proto")->asString() == "tcp");
  CHECK(field(0, "src")->asString() == "198.51.100.7");
  CHECK(field(0, "dport")->asInt() == 80);
  CHECK(field(0, "sent")->asInt() == 5);
  CHECK(field(0, "delivered")->asInt() == 5);
  CHECK(field(0, "verdict")->asString() == "passed");
  CHECK(field(1, "verdict")->asString() == "rejected");
  CHECK((*json->find("skipped")->asArray())[0].find("packets")->asInt() == 4);

  const std::string csv = renderCsv(r);
  CHECK(csv ==
        "proto,src,sport,dst,dport,sent,delivered,verdict,rejected,reason,rule\n"
        "tcp,198.51.100.7,40000,10.0.1.10,80,5,5,passed,0,,\n"
        "tcp,198.51.100.9,40001,10.0.1.10,22,1,0,rejected,1,tcp reset from 10.0.1.10,\n");
}
