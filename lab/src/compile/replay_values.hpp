#pragma once
/// The `speed` and `loop` of a replay, under `replays:` or in a timeline entry (private to
/// resolve): one check of each, so that both places say the same. Absent values leave the
/// default; a bad one is reported at its place and the function returns false.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/raw_topology.hpp"

#include <cstdint>
#include <string>

namespace umlab::lab {

/// Above 0, at most 1000 (1 is the captured timing).
bool readReplaySpeed(const RawScalar& s, const std::string& what, Diagnostics& diags, double& speed);
/// 1 to 1000000.
bool readReplayLoop(const RawScalar& s, const std::string& what, Diagnostics& diags, uint32_t& loop);

} // namespace umlab::lab
