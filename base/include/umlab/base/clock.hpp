#pragma once
/// Time as the project's loops see it. Code that decides by time asks a `Clock&` instead of
/// reading the system clock, so that tests freeze and advance time (as OVS's `time/stop` and
/// `time/warp`): umlab-switchd's forwarding core, the supervisor's refresh schedule.

#include <chrono>

namespace umlab {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
public:
  virtual ~Clock() = default;
  /// Monotonic: never goes backwards.
  virtual TimePoint now() const = 0;
};

/// std::chrono::steady_clock.
class SteadyClock final : public Clock {
public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

/// Time that moves only when a test says so. Starts at an arbitrary fixed point.
class FakeClock final : public Clock {
public:
  TimePoint now() const override { return now_; }
  void advance(Duration d) { now_ += d; }

private:
  TimePoint now_{std::chrono::hours(1)};
};

} // namespace umlab
