// The plan's JSON form: written by renderPlanJson, read back by readPlanJson exactly, and refused
// with a path-naming message when it is not a plan.
#include "umlab/lab/compile/plan_json.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace umlab;
using namespace umlab::lab;
using namespace std::chrono_literals;

namespace {

const HostLayout kHost{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images", "/usr/lib/umlab/umlab-switchd"};

std::optional<LaunchPlan> planOfFile(const std::string& path) {
  SourceManager sources;
  Diagnostics diags;
  auto compiled = compileFile(path, sources, diags);
  if (!compiled)
    return std::nullopt;
  return plan(compiled->topology, kHost, diags);
}

/// Every field set to something other than its default, every kind of element present.
LaunchPlan fullPlan() {
  LaunchPlan p;
  p.lab = "full";
  p.sourcePath = "labs/full \"lab\".yaml";
  p.stateDir = "/run/umlab/full";
  p.netns = "own, unnamed: 'umlab host full -- CMD' runs in it";

  LinkConditions all;
  all.delay = 1500us;
  all.jitter = 7ns;
  all.lossPercent = 0.1;
  all.rateBitsPerSecond = 10'000'000;
  all.duplicatePercent = 2.5;
  all.corruptPercent = 100;

  SwitchPlan sw;
  sw.segment = "lan";
  sw.mode = "hub";
  sw.implicit = true;
  sw.transport = "bess";
  sw.ctlPath = "/run/umlab/full/sw/lan.ctl";
  sw.bessPath = "/run/umlab/full/sw/lan.bess";
  sw.monitorPath = "/run/umlab/full/sw/lan.mon";
  sw.adminPath = "/run/umlab/full/sw/lan.admin";
  sw.uplinks = {"/run/umlab/full/sw/core.ctl", "/run/umlab/full/sw/edge.ctl"};
  sw.ports = {PortPlan{"r1:eth0", "02:00:00:00:00:01", all}, PortPlan{"trunk:core", "", {}}};
  sw.argv = {"/usr/lib/umlab/umlab-switchd", "--ctl", "/run/umlab/full/sw/lan.ctl", "--set", "port r1:eth0 both delay 1500us"};
  p.switches = {sw, SwitchPlan{"core", "switch", false, "daemon", "/c.ctl", "", "", "/c.admin", {}, {}, {}}};

  p.mcast = {McastPlan{"wan", "239.192.0.1", 1102, 255, {"r1:eth1", "r2:eth0"}}};
  p.taps = {TapPlan{"umt0", "r1:eth2"}};

  GuestPlan g;
  g.name = "r1";
  g.kind = "router";
  g.umid = "full.r1";
  g.memoryBytes = (uint64_t{1} << 40) + 1;
  g.image = "services";
  g.cowPath = "/run/umlab/full/cow/r1.cow";
  g.basePath = "/var/cache/umlab/images/services/rootfs.img";
  g.configDisk = "/run/umlab/full/nodes/r1/config.img";
  g.logPath = "/run/umlab/full/log/r1.log";
  g.forwarding = true;
  InterfacePlan i0{"eth0", "vec0", "02:00:00:00:00:01", "10.0.0.1/24", "10.0.0.254", "switch lan", "bess",
                   "vec0:transport=bess,dst=/run/umlab/full/sw/lan.bess", all, "", -1};
  InterfacePlan i2{"eth2", "eth2", "02:00:00:00:00:03", "", "", "tap umt0", "fd", "eth2=fd,10", {}, "umt0", kFirstTapFd};
  g.interfaces = {i0, i2};
  g.routes = {RoutePlan{"default", "10.0.0.254"}, RoutePlan{"192.168.0.0/16", "10.0.0.2"}};
  g.startup = {"ip link set eth0 up", "#!/bin/sh\necho 'caf\xc3\xa9' > /tmp/x\n\ttab\n"};
  g.files = {GuestFile{"/etc/frr/frr.conf", "r1/frr.conf", {}}};
  g.argv = {"/usr/bin/linux.uml", "umid=full.r1", "mem=1024G"};
  p.guests = {g};

  p.replays = {ReplayPlan{"lan", "captures/ping.pcap", "/run/umlab/full/sw/lan.admin", 0.25, UINT32_MAX, true,
                          "02:00:00:00:00:01"}};
  p.startOrder = {"switch core", "switch lan", "tap umt0", "guest r1", "replay lan"};
  return p;
}

/// readPlanJson's error for `text`, which must not read.
std::string errorOf(std::string_view text) {
  std::string error;
  CHECK_FALSE(readPlanJson(text, error));
  return error;
}

/// `text` with the first `from` after `after` replaced by `to`; the test fails if there is none.
std::string edited(std::string text, const std::string& from, const std::string& to, size_t after = 0) {
  const size_t at = text.find(from, after);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("the plan of every example lab reads back from its JSON exactly", "[lab][plan][json]") {
  std::vector<fs::path> labs;
  for (const auto& e : fs::directory_iterator(fs::path(UMLAB_SOURCE_DIR) / "topologies"))
    if (e.path().extension() == ".yaml" && !e.path().filename().string().ends_with(".tests.yaml"))
      labs.push_back(e.path());
  std::sort(labs.begin(), labs.end());
  REQUIRE(labs.size() >= 8);
  for (const fs::path& lab : labs) {
    DYNAMIC_SECTION(lab.filename().string()) {
      std::optional<LaunchPlan> p = planOfFile(lab.string());
      REQUIRE(p);
      const std::string json = renderPlanJson(*p);
      std::string error;
      std::optional<LaunchPlan> back = readPlanJson(json, error);
      INFO(error);
      REQUIRE(back);
      CHECK(*back == *p);
      CHECK(renderPlanJson(*back) == json);
      CHECK(renderPlanText(*back) == renderPlanText(*p));
    }
  }
}

TEST_CASE("a planned lab with taps, bess, a monitor and every condition reads back exactly", "[lab][plan][json]") {
  SourceManager sources;
  Diagnostics diags;
  auto compiled = compileText("t.yaml", R"(name: t
nodes: {a: {}, b: {}, ids: {}}
segments: {lan: {type: hub, transport: bess}}
links:
  - {endpoints: [a:eth0, lan], delay: 1.5ms, jitter: 250us, loss: 0.123456789%, rate: 2.5mbit, duplicate: 1%, corrupt: 0.01%}
  - {endpoints: [b:eth0, lan]}
  - {endpoints: [a:eth1, b:eth1], delay: 1h}
  - {endpoints: [a:eth2, host]}
monitors:
  - {node: ids, iface: eth0, mirror: lan}
)", sources, diags);
  REQUIRE(compiled);
  std::optional<LaunchPlan> p = plan(compiled->topology, kHost, diags);
  REQUIRE(p);
  REQUIRE(p->taps.size() == 1);
  const LinkConditions& c = p->switches[0].ports[0].conditions;
  REQUIRE((c.delay && c.jitter && c.lossPercent && c.rateBitsPerSecond && c.duplicatePercent && c.corruptPercent));
  std::string error;
  std::optional<LaunchPlan> back = readPlanJson(renderPlanJson(*p), error);
  INFO(error);
  REQUIRE(back);
  CHECK(*back == *p);
  CHECK(back->switches[0].ports[0].conditions.lossPercent == 0.123456789);
  CHECK(back->switches[0].ports[0].conditions.rateBitsPerSecond == 2500000u);
}

TEST_CASE("every field of a plan survives its JSON", "[lab][plan][json]") {
  const LaunchPlan p = fullPlan();
  const std::string json = renderPlanJson(p);
  std::string error;
  std::optional<LaunchPlan> back = readPlanJson(json, error);
  INFO(error);
  REQUIRE(back);
  CHECK(*back == p);
  // Field by field where operator== could hide a slip in both directions.
  CHECK(back->guests[0].interfaces[1].tapFd == kFirstTapFd);
  CHECK(back->guests[0].interfaces[1].tapDevice == "umt0");
  CHECK(back->guests[0].interfaces[0].conditions.delay == 1500us);
  CHECK(back->guests[0].memoryBytes == (uint64_t{1} << 40) + 1);
  CHECK(back->replays[0].loop == UINT32_MAX);
  CHECK(back->mcast[0].ttl == 255);
  CHECK(back->guests[0].startup[1] == p.guests[0].startup[1]);

  // A plan placed on several hosts keeps each guest's host and the placement's figures.
  LaunchPlan placed = fullPlan();
  placed.guests[0].host = 3;
  placed.placement = LaunchPlan::Placement{4, 7, 31};
  std::optional<LaunchPlan> placedBack = readPlanJson(renderPlanJson(placed), error);
  INFO(error);
  REQUIRE(placedBack);
  CHECK(*placedBack == placed);
  CHECK(placedBack->guests[0].host == 3u);
  // One host: no key (a guest file's "host" is its host path, a string), old plans unchanged.
  CHECK_FALSE(std::regex_search(renderPlanJson(p), std::regex(R"("host": [0-9])")));
  CHECK(std::regex_search(renderPlanJson(placed), std::regex(R"("host": 3,)")));

  // A plan with nothing in it survives as well.
  LaunchPlan empty;
  std::optional<LaunchPlan> emptyBack = readPlanJson(renderPlanJson(empty), error);
  REQUIRE(emptyBack);
  CHECK(*emptyBack == empty);
}

TEST_CASE("link conditions are written exactly, with their units in the keys", "[lab][plan][json]") {
  const LaunchPlan p = fullPlan();
  JsonError jsonError;
  std::optional<JsonValue> doc = parseJson(renderPlanJson(p), jsonError);
  REQUIRE(doc);
  const JsonValue* port = &(*doc->find("switches")->asArray())[0];
  port = &(*port->find("ports")->asArray())[0];
  JsonObject expected;
  expected.insert("delayNs", 1500000);
  expected.insert("jitterNs", 7);
  expected.insert("lossPercent", 0.1);
  expected.insert("rateBitsPerSecond", 10000000);
  expected.insert("duplicatePercent", 2.5);
  expected.insert("corruptPercent", 100); // JsonWriter writes a whole double as 100
  CHECK(*port->find("conditions") == JsonValue(expected));
  const JsonValue& trunk = (*(*doc->find("switches")->asArray())[0].find("ports")->asArray())[1];
  CHECK(*trunk.find("conditions") == JsonValue(JsonObject{}));
  CHECK(doc->find("version")->asUint() == kPlanJsonVersion);
}

TEST_CASE("a plan that is not JSON is refused with its line and column", "[lab][plan][json][error]") {
  CHECK(errorOf("") == "1:1: expected a JSON value, found end of input");
  CHECK(errorOf("{\n  \"lab\": \"x\",\n  \"version\": 1,\n  \"source\": \"y") == "4:13: unterminated string");
  const std::string json = renderPlanJson(fullPlan());
  const std::string half = errorOf(json.substr(0, json.size() / 2));
  CHECK(std::regex_match(half, std::regex(R"([0-9]+:[0-9]+: (unterminated string|.*found end of input))")));
  CHECK(errorOf(json + "}") == std::to_string(std::count(json.begin(), json.end(), '\n') + 1) +
                                   ":1: unexpected '}' after the JSON value");
}

TEST_CASE("a plan with a missing, unknown or mistyped field is refused, naming its path", "[lab][plan][json][error]") {
  const LaunchPlan p = fullPlan();
  const std::string json = renderPlanJson(p);

  CHECK(errorOf("[]") == "expected an object, found an array");
  CHECK(errorOf("{}") == "version: missing");
  CHECK(errorOf(edited(json, "\"version\": 1", "\"version\": 2")) ==
        "version: this umlab reads plan version 1, not 2; use the umlab that wrote it");
  CHECK(errorOf(edited(json, "\"version\": 1", "\"version\": \"1\"")) ==
        "version: expected an integer from 0 to 18446744073709551615, found a string");
  CHECK(errorOf(edited(json, "\"lab\": \"full\",", "")) == "lab: missing");
  CHECK(errorOf(edited(json, "\"lab\": \"full\",", "\"lab\": \"full\", \"colour\": \"red\",")) ==
        "colour: unknown field");
  CHECK(errorOf(edited(json, "\"implicit\": true", "\"implicit\": \"yes\"")) ==
        "switches[0].implicit: expected a boolean, found a string");
  CHECK(errorOf(edited(json, "\"delayNs\": 1500000", "\"delay\": \"1500us\"")) ==
        "switches[0].ports[0].conditions.delay: unknown field");
  CHECK(errorOf(edited(json, "\"lossPercent\": 0.1", "\"lossPercent\": \"0.1%\"")) ==
        "switches[0].ports[0].conditions.lossPercent: expected a number, found a string");
  CHECK(errorOf(edited(json, "\"port\": 1102", "\"port\": 70000")) ==
        "mcast[0].port: expected an integer from 0 to 65535");
  CHECK(errorOf(edited(json, "\"port\": 1102", "\"port\": -1")) == "mcast[0].port: expected an integer from 0 to 65535");
  CHECK(errorOf(edited(json, "\"tapFd\": 10", "\"tapFd\": 10.0")) ==
        "guests[0].interfaces[1].tapFd: expected an integer from -2147483648 to 2147483647");
  CHECK(errorOf(edited(json, "\"startOrder\": [\n    \"switch core\"", "\"startOrder\": [\n    7")) ==
        "startOrder[0]: expected a string, found a number");
  CHECK(errorOf(edited(json, "\"taps\": [", "\"taps\": [3,")) == "taps[0]: expected an object, found a number");
  CHECK(errorOf(edited(json, "\"routes\": [", "\"routes\": {}, \"x\": [")) ==
        "guests[0].routes: expected an array, found an object");
  CHECK(errorOf(edited(json, "\"conditions\": {},", "")) == "guests[0].interfaces[1].conditions: missing");
  CHECK(errorOf(edited(json, "\"speed\": 0.25", "\"speed\": null")) ==
        "replays[0].speed: expected a number, found null");
}

TEST_CASE("a missing interface field names the guest and interface", "[lab][plan][json][error]") {
  std::optional<LaunchPlan> p = planOfFile(std::string(UMLAB_SOURCE_DIR) + "/topologies/lan.yaml");
  REQUIRE(p);
  REQUIRE(p->guests.size() >= 3);
  const std::string json = renderPlanJson(*p);
  // The MAC is also on the switch's port, so remove the guest's copy, the last one.
  const std::string macLine = "\"mac\": \"" + p->guests[2].interfaces[0].mac + "\",";
  const size_t at = json.rfind(macLine);
  REQUIRE(at != std::string::npos);
  CHECK(errorOf(std::string(json).erase(at, macLine.size())) == "guests[2].interfaces[0].mac: missing");
}

TEST_CASE("a saved plan loads back, private and whole", "[lab][plan][json][file]") {
  TempDir dir("plan-json");
  const std::string path = dir.file("plan.json");
  const LaunchPlan p = fullPlan();
  savePlanJson(p, path);

  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  std::string error;
  std::optional<LaunchPlan> back = loadPlanJson(path, error);
  INFO(error);
  REQUIRE(back);
  CHECK(*back == p);

  // Saving again replaces the plan and leaves nothing else in the directory.
  LaunchPlan other = p;
  other.lab = "other";
  savePlanJson(other, path);
  back = loadPlanJson(path, error);
  REQUIRE(back);
  CHECK(back->lab == "other");
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("saving and loading a plan report what failed", "[lab][plan][json][file][error]") {
  TempDir dir("plan-json");
  const std::string missingDir = dir.file("gone/plan.json");
  try {
    savePlanJson(fullPlan(), missingDir);
    FAIL("saved into a directory that does not exist");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK(std::string(e.what()).find("mkstemp " + missingDir + ".XXXXXX") == 0);
  }
  try {
    std::string error;
    loadPlanJson(missingDir, error);
    FAIL("loaded a file that does not exist");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK(std::string(e.what()).find("open " + missingDir) == 0);
  }

  const std::string path = dir.file("plan.json");
  std::ofstream(path) << "{\n  \"version\": 1,\n  oops";
  std::string error;
  CHECK_FALSE(loadPlanJson(path, error));
  CHECK(error == path + ":3:3: expected a string key, found 'o'");
  std::ofstream(path, std::ios::trunc) << "{\"version\": 1}";
  CHECK_FALSE(loadPlanJson(path, error));
  CHECK(error == path + ": lab: missing");
}
