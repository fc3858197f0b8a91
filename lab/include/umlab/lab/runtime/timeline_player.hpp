#pragma once
/// When each step of a lab's timeline is due (model/timeline.hpp, plan.hpp's TimelineStepPlan).
///
/// Design notes
/// ------------
/// The supervisor owns one player. Its loop never sleeps on the timeline: it starts the player
/// when every guest is first ready, wakes its poll() no later than `nextDue()`, and takes the
/// steps `due(now)` hands out, each exactly once and in plan order (time, then file order), so
/// that steps at the same time happen in the order written even when the loop ran late. What a
/// step does (a switch command, a node action, a command through the agent, a replay) is the
/// supervisor's; how it went is its `finish`, which the player counts for `ps`.
/// Pure logic over a steady clock handed in, so it is unit-tested without time passing.

#include "umlab/lab/compile/plan.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace umlab::lab::runtime {

class TimelinePlayer {
public:
  using Clock = std::chrono::steady_clock;

  explicit TimelinePlayer(std::vector<TimelineStepPlan> steps) : steps_(std::move(steps)) {}

  /// The lab is ready: time 0 is `zero`. The steps before `played` (a resumed lab's: they ran
  /// before it was saved) count as finished and are never handed out; they are returned, so
  /// that the caller can put back what they left behind (a link's state). A second call
  /// changes nothing and returns nothing.
  std::vector<size_t> start(Clock::time_point zero, std::chrono::milliseconds played = std::chrono::milliseconds(0));
  bool isStarted() const { return started_.has_value(); }
  /// The steps due at `now` that were not handed out yet, in order (indices into `steps()`).
  std::vector<size_t> due(Clock::time_point now);
  /// When the next step not handed out is due; nullopt before `start` and after the last.
  std::optional<Clock::time_point> nextDue() const;
  /// A step handed out has ended (successfully or not).
  void finish(size_t index, bool ok);

  const std::vector<TimelineStepPlan>& steps() const { return steps_; }
  size_t handedOut() const { return next_; }
  size_t finished() const { return finished_; }
  size_t failed() const { return failed_; }
  /// The first step not handed out yet, or nullptr.
  const TimelineStepPlan* upcoming() const { return next_ < steps_.size() ? &steps_[next_] : nullptr; }

private:
  std::vector<TimelineStepPlan> steps_;
  std::optional<Clock::time_point> started_;
  size_t next_ = 0;
  size_t finished_ = 0, failed_ = 0;
};

} // namespace umlab::lab::runtime
