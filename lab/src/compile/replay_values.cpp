#include "replay_values.hpp"

#include "umlab/base/quantity.hpp"

namespace umlab::lab {

bool readReplaySpeed(const RawScalar& s, const std::string& what, Diagnostics& diags, double& speed) {
  if (!s)
    return true;
  auto v = parseDecimal(s.text);
  if (!v || *v <= 0 || *v > 1000) {
    diags.error(s.loc, "speed '" + s.text + "' of " + what + " must be a number above 0 and at most 1000 (1 is the captured timing)");
    return false;
  }
  speed = *v;
  return true;
}

bool readReplayLoop(const RawScalar& s, const std::string& what, Diagnostics& diags, uint32_t& loop) {
  if (!s)
    return true;
  auto v = parseUnsigned(s.text, 1000000);
  if (!v || *v == 0) {
    diags.error(s.loc, "loop '" + s.text + "' of " + what + " must be a count from 1 to 1000000");
    return false;
  }
  loop = static_cast<uint32_t>(*v);
  return true;
}

} // namespace umlab::lab
