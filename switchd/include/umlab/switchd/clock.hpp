#pragma once
/// The switch's notion of time is the project's (base/clock.hpp): the forwarding core asks a
/// `Clock&`, so that tests freeze and advance time.

#include "umlab/base/clock.hpp"

namespace umlab::switchd {

using umlab::Clock;
using umlab::Duration;
using umlab::FakeClock;
using umlab::SteadyClock;
using umlab::TimePoint;

} // namespace umlab::switchd
