#include "umlab/lab/model/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace umlab::lab {

namespace {

template <class T> std::optional<T> between(const std::optional<T>& a, const std::optional<T>& b, double f) {
  if (!a || !b)
    return a ? a : b;
  if constexpr (std::is_same_v<T, double>) {
    return *a + (*b - *a) * f;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return static_cast<uint64_t>(std::llround(double(*a) + (double(*b) - double(*a)) * f));
  } else {
    const double v = double(a->count()) + (double(b->count()) - double(a->count())) * f;
    return T(static_cast<typename T::rep>(std::llround(v)));
  }
}

} // namespace

LinkConditions interpolateConditions(const LinkConditions& a, const LinkConditions& b, double f) {
  f = std::clamp(f, 0.0, 1.0);
  LinkConditions c;
  c.delay = between(a.delay, b.delay, f);
  c.jitter = between(a.jitter, b.jitter, f);
  c.lossPercent = between(a.lossPercent, b.lossPercent, f);
  c.rateBitsPerSecond = between(a.rateBitsPerSecond, b.rateBitsPerSecond, f);
  c.duplicatePercent = between(a.duplicatePercent, b.duplicatePercent, f);
  c.corruptPercent = between(a.corruptPercent, b.corruptPercent, f);
  return c;
}

const char* timelineActionName(TimelineEvent::Action action) {
  switch (action) {
  case TimelineEvent::Action::LinkDown: return "down";
  case TimelineEvent::Action::LinkUp: return "up";
  case TimelineEvent::Action::LinkConditions: return "conditions";
  case TimelineEvent::Action::LinkRamp: return "ramp";
  case TimelineEvent::Action::Crash: return "crash";
  case TimelineEvent::Action::Restart: return "restart";
  case TimelineEvent::Action::Stop: return "stop";
  case TimelineEvent::Action::Start: return "start";
  case TimelineEvent::Action::Run: return "run";
  case TimelineEvent::Action::Replay: return "replay";
  }
  return "?";
}

std::string formatTimelineTime(TimelineTime t) {
  long long ms = t.count();
  std::string sign = ms < 0 ? "-" : "";
  ms = std::llabs(ms);
  if (ms == 0)
    return "0s";
  if (ms < 1000)
    return sign + std::to_string(ms) + "ms";
  std::string out = sign;
  if (ms >= 60000 && ms % 1000 == 0) {
    out += std::to_string(ms / 60000) + "m";
    ms %= 60000;
    if (ms == 0)
      return out;
  }
  out += std::to_string(ms / 1000);
  if (const long long frac = ms % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", frac);
    std::string f = buf;
    while (f.back() == '0')
      f.pop_back();
    out += f;
  }
  return out + "s";
}

} // namespace umlab::lab
