#pragma once
/// From a topology file to the plan that runs it, as every front-end does it before `up` and
/// `apply` (the CLI's `up`/`apply`, the GUI's Start and Apply): compile the file, find the builds
/// of the images its nodes boot (the user's own, else the system's shared ones), plan it for labs
/// under `stateRoot`, and record the file as a user of its image builds (so that `umlab image
/// prune` keeps them).

#include "umlab/lab/compile/plan.hpp"

#include <optional>
#include <string>

namespace umlab::lab::runtime {

struct PlannedFile {
  std::optional<LaunchPlan> plan; ///< nullopt when the file has errors
  std::string diagnostics;        ///< the compiler's errors and warnings, as `umlab validate` prints them
  std::string imageWarning;       ///< why the images' builds were not found, or empty
};

/// `self` is the running program (its directory holds umlab-switchd and the guest binaries).
PlannedFile planTopologyFile(const std::string& self, const std::string& file, const std::string& stateRoot);

} // namespace umlab::lab::runtime
