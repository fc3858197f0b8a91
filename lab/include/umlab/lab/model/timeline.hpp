#pragma once
/// A topology's `timeline:` (docs/scenarios.md), resolved: what happens to the running lab, and
/// when, counted from the moment every guest is ready.
///
/// Design notes
/// ------------
/// Each entry names one target and one action:
///
///   {at: 30s, link: r1:eth1, down: true}              link down / `up: true`
///   {at: 10s, link: r1:eth0, delay: 50ms, loss: 1%}   conditions (the others are kept; `clear: true`
///                                                     clears them first)
///   {from: 30s, to: 60s, link: r1:eth0, loss: 0% -> 20%}   a ramp, stepped every `step` (1s)
///   {at: 50s, node: r2, crash: true}                  also `restart`, `stop`, `start`
///   {at: 5s, node: pc1, run: "ping -c 3 10.0.0.1"}    a command (sh -c) in a node
///   {at: 5s, segment: lan, replay: x.pcap, speed: 2}  a capture played into a segment
///
/// and any `at:` entry may repeat: `every: 20s, times: 3`. Times are whole milliseconds. The
/// planner (plan.hpp) expands entries into single steps (a ramp into one step per `step`, a
/// repeat into `times` steps) sorted by time, entries in file order at equal times, so the same
/// file gives the same steps in the same order on every run; the supervisor plays them.
/// Impairments draw their random choices from the switch's seed (derived from the lab's names),
/// so the same traffic meets the same losses.

#include "umlab/base/source.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace umlab::lab {

/// Per-port link conditions, applied by umlab-switchd in both directions.
struct LinkConditions {
  std::optional<std::chrono::nanoseconds> delay;
  std::optional<std::chrono::nanoseconds> jitter;
  std::optional<double> lossPercent;
  std::optional<uint64_t> rateBitsPerSecond;
  std::optional<double> duplicatePercent;
  std::optional<double> corruptPercent;

  bool empty() const {
    return !delay && !jitter && !lossPercent && !rateBitsPerSecond && !duplicatePercent && !corruptPercent;
  }
  bool operator==(const LinkConditions&) const = default;
};

/// The conditions a fraction `f` (0..1) of the way from `a` to `b`; a value that only one side
/// has is taken as it is. Rates and durations are rounded to whole units.
LinkConditions interpolateConditions(const LinkConditions& a, const LinkConditions& b, double f);

using TimelineTime = std::chrono::milliseconds;

struct TimelineEvent {
  enum class Action : uint8_t { LinkDown, LinkUp, LinkConditions, LinkRamp, Crash, Restart, Stop, Start, Run, Replay };
  Action action = Action::LinkDown;
  TimelineTime at{0};   ///< when it happens; a ramp's start (`from`)
  TimelineTime to{0};   ///< a ramp's end
  TimelineTime step{1000}; ///< a ramp's step
  TimelineTime every{0};   ///< a repeat's period (0: no repeat)
  uint32_t times = 1;      ///< how many times in all

  uint32_t node = 0;      ///< link actions: the interface's node; node actions and run: the node
  uint32_t interface = 0; ///< link actions: the N of ethN
  uint32_t segment = 0;   ///< replay
  bool clear = false;     ///< LinkConditions: clear the port's conditions first
  LinkConditions conditions; ///< LinkConditions; LinkRamp: at `at`
  LinkConditions rampTo;     ///< LinkRamp: at `to`
  std::string command;       ///< Run
  std::string pcapPath;      ///< Replay
  double speed = 1;
  uint32_t loop = 1;

  size_t number = 0; ///< 1-based position under `timeline:`
  SourceLoc loc;
};

/// "down", "up", "conditions", "ramp", "crash", "restart", "stop", "start", "run", "replay".
const char* timelineActionName(TimelineEvent::Action action);

/// "30s", "1m30s", "2.5s", "250ms": a time of the timeline, for people (the files write "90s").
std::string formatTimelineTime(TimelineTime t);

} // namespace umlab::lab
