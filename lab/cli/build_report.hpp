#pragma once
// How `umlab image build` and `umlab kernel build` report a failed build: the step and why, the
// failing tool's last lines, and that the cache was left as it was.

#include <ostream>
#include <string>
#include <vector>

namespace umlab::cli {

/// `what` names the build ("image", "kernel"); `ranSteps` is false when it failed before its first
/// step (then nothing was started, so there is nothing to say about the cache).
inline void reportBuildFailure(std::ostream& err, const std::string& what, bool ranSteps, const std::string& message,
                               const std::vector<std::string>& lastOutput, const std::string& linkPath) {
  err << "umlab: error: " << (ranSteps ? what + " build failed at " : "") << message << "\n";
  if (!lastOutput.empty()) {
    err << "  last output:\n";
    for (const std::string& line : lastOutput)
      err << "    " << line << "\n";
  }
  if (ranSteps)
    err << "umlab: note: the partial build was removed; '" << linkPath << "' is unchanged\n";
}

} // namespace umlab::cli
