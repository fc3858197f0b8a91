#include "umlab/lab/runtime/lab_processes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::runtime;

namespace {

LaunchPlan threeSwitchesTwoGuests() {
  LaunchPlan p;
  p.lab = "t";
  for (const char* s : {"lan", "dmz", "p2p.1"}) {
    SwitchPlan sw;
    sw.segment = s;
    sw.argv = {"/usr/bin/umlab-switchd"};
    p.switches.push_back(sw);
  }
  for (const char* g : {"pc1", "fw"}) {
    GuestPlan gp;
    gp.name = g;
    gp.argv = {"/usr/bin/linux.uml"};
    p.guests.push_back(gp);
  }
  return p;
}

/// Records what the launcher asks around each start, as the supervisor would do it.
class RecordingHooks final : public LaunchHooks {
public:
  std::vector<std::string> calls;
  std::string failAfterStartOf; ///< a name whose *Started hook throws (its sockets never appear)
  std::vector<std::string> deferred; ///< guests the hooks start later (depends-on)

  ProcessSpec switchSpec(const SwitchPlan& p) override {
    calls.push_back("spec switch " + p.segment);
    return spec("switch " + p.segment, p.argv);
  }
  void switchStarted(const SwitchPlan& p, const ProcessId&) override {
    calls.push_back("up switch " + p.segment);
    if (failAfterStartOf == p.segment)
      throw std::runtime_error("switch '" + p.segment + "' did not create its sockets");
  }
  void beforeGuests() override { calls.push_back("taps"); }
  bool isGuestDeferred(const GuestPlan& p) override {
    const bool wait = std::find(deferred.begin(), deferred.end(), p.name) != deferred.end();
    if (wait)
      calls.push_back("defer guest " + p.name);
    return wait;
  }
  ProcessSpec guestSpec(const GuestPlan& p) override {
    calls.push_back("spec guest " + p.name);
    return spec("guest " + p.name, p.argv);
  }
  void guestStarted(const GuestPlan& p, const ProcessId&) override { calls.push_back("booting guest " + p.name); }
  void afterGuestsStopped() override { calls.push_back("taps released"); }

private:
  static ProcessSpec spec(const std::string& name, const std::vector<std::string>& argv) {
    ProcessSpec s;
    s.name = name;
    s.argv = argv;
    return s;
  }
};

} // namespace

TEST_CASE("the launch starts switches first, each up before the next, then taps, then guests", "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  const LaunchPlan plan = threeSwitchesTwoGuests();
  {
    LabProcesses processes(runner);
    processes.startAll(plan, hooks);
    CHECK(runner.events() == std::vector<std::string>{"start switch lan", "start switch dmz", "start switch p2p.1",
                                                      "start guest pc1", "start guest fw"});
    CHECK(hooks.calls == std::vector<std::string>{"spec switch lan", "up switch lan", "spec switch dmz", "up switch dmz",
                                                  "spec switch p2p.1", "up switch p2p.1", "taps", "spec guest pc1",
                                                  "booting guest pc1", "spec guest fw", "booting guest fw"});
    CHECK(runner.running().size() == 5);
    // Teardown: every guest (last started first), the taps, then the switches.
    processes.stopAll(&hooks);
    CHECK(runner.running().empty());
  }
  const std::vector<std::string> tail(runner.events().end() - 5, runner.events().end());
  CHECK(tail == std::vector<std::string>{"stop guest fw", "stop guest pc1", "stop switch p2p.1", "stop switch dmz",
                                         "stop switch lan"});
  CHECK(hooks.calls.back() == "taps released");
}

TEST_CASE("a guest that cannot start stops everything started before it, in teardown order", "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  runner.failStart("guest fw");
  LabProcesses processes(runner);
  CHECK_THROWS_WITH(processes.startAll(threeSwitchesTwoGuests(), hooks), Catch::Contains("cannot run 'guest fw'"));
  CHECK(runner.running().empty());
  CHECK(processes.entries().empty());
  CHECK(runner.events() == std::vector<std::string>{"start switch lan", "start switch dmz", "start switch p2p.1",
                                                    "start guest pc1", "fail guest fw", "stop guest pc1",
                                                    "stop switch p2p.1", "stop switch dmz", "stop switch lan"});
  CHECK(hooks.calls.back() == "taps released");
}

TEST_CASE("a switch that never comes up stops the launch before any guest", "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  hooks.failAfterStartOf = "dmz";
  LabProcesses processes(runner);
  CHECK_THROWS_WITH(processes.startAll(threeSwitchesTwoGuests(), hooks), Catch::Contains("did not create its sockets"));
  CHECK(runner.running().empty());
  CHECK(runner.events() == std::vector<std::string>{"start switch lan", "start switch dmz", "stop switch dmz",
                                                    "stop switch lan"});
}

TEST_CASE("an ended process is recorded once, and stopping one process leaves the others", "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  LabProcesses processes(runner);
  processes.startAll(threeSwitchesTwoGuests(), hooks);
  runner.exit("guest pc1", ExitStatus{-1, 9});
  const auto ended = runner.reapEnded();
  REQUIRE(ended.size() == 1);
  const LabProcesses::Entry* e = processes.markEnded(ended[0].first, ended[0].second);
  REQUIRE(e);
  CHECK(e->name == "pc1");
  CHECK(e->status.signal == 9);
  CHECK(processes.markEnded(ended[0].first, ended[0].second) == nullptr);
  CHECK(processes.markEnded(99999, {}) == nullptr); // an orphan of a UML helper
  processes.stop(ProcessRole::Switch, "dmz");
  CHECK(processes.find(ProcessRole::Switch, "dmz") == nullptr);
  CHECK(processes.find(ProcessRole::Switch, "lan") != nullptr);
  CHECK(runner.events().back() == "stop switch dmz");
}

TEST_CASE("a guest the hooks defer is left for them to start later, and stops like the others", "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  hooks.deferred = {"pc1"};
  const LaunchPlan plan = threeSwitchesTwoGuests();
  LabProcesses processes(runner);
  processes.startAll(plan, hooks);
  CHECK(runner.running().size() == 4); // three switches and fw
  CHECK(std::find(hooks.calls.begin(), hooks.calls.end(), "defer guest pc1") != hooks.calls.end());
  CHECK(std::find(hooks.calls.begin(), hooks.calls.end(), "spec guest pc1") == hooks.calls.end());
  // What the supervisor does once fw is ready:
  processes.start(ProcessRole::Guest, "pc1", hooks.guestSpec(plan.guests[0]));
  CHECK(runner.running().size() == 5);
  processes.stopAll(&hooks);
  CHECK(runner.running().empty());
}

TEST_CASE("a killed guest ends by SIGKILL, is forgotten once reaped, and starts again under its name",
          "[lab][launcher]") {
  FakeProcessRunner runner;
  RecordingHooks hooks;
  const LaunchPlan plan = threeSwitchesTwoGuests();
  LabProcesses processes(runner);
  processes.startAll(plan, hooks);
  processes.kill(ProcessRole::Guest, "fw"); // a power cut: no waiting
  CHECK(runner.events().back() == "kill guest fw");
  processes.forgetEnded(ProcessRole::Guest, "fw"); // not reaped yet: kept
  CHECK(processes.find(ProcessRole::Guest, "fw") != nullptr);
  const auto ended = runner.reapEnded();
  REQUIRE(ended.size() == 1);
  const LabProcesses::Entry* e = processes.markEnded(ended[0].first, ended[0].second);
  REQUIRE(e);
  CHECK(e->status.signal == 9);
  processes.kill(ProcessRole::Guest, "fw"); // ended already: nothing is signalled
  CHECK(runner.events().back() == "kill guest fw");
  processes.forgetEnded(ProcessRole::Guest, "fw");
  CHECK(processes.find(ProcessRole::Guest, "fw") == nullptr);
  // `start`: the same name again, one entry for it.
  processes.start(ProcessRole::Guest, "fw", hooks.guestSpec(plan.guests[1]));
  CHECK(std::count_if(processes.entries().begin(), processes.entries().end(),
                      [](const LabProcesses::Entry& x) { return x.name == "fw"; }) == 1);
  processes.stopAll(&hooks);
  CHECK(runner.running().empty());
  // Teardown signalled only what ran: the forgotten pid was not stopped again.
  CHECK(std::count(runner.events().begin(), runner.events().end(), "stop guest fw") == 1);
}
