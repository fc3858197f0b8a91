#pragma once
/// The gate `up` and `apply` pass before they start anything: the machine's limits
/// (limits.hpp, /etc/umlab/limits.yaml) against what the user's labs already use plus what
/// this lab needs. Root is never limited. A limits file with errors refuses everyone else
/// until the administrator fixes it (a broken policy must not turn into no policy).
///
/// What counts as running: every lab under the caller's state roots (state_roots.hpp) that has
/// a plan, booting or ready, except `replacing` (the lab `apply` changes, whose new plan is the
/// request). Memory is the sum of the guests' `mem=`.
///
/// Two `up`s at the same moment can both pass: the gate is a fairness policy of umlab's on a
/// shared machine, not a kernel limit (docs/limits.md).

#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/runtime/limits.hpp"

#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

/// What `plan` asks for.
Usage usageOf(const LaunchPlan& plan);

/// What the running labs under `roots` use, without the lab named `except`.
Usage usageOfLabs(const std::vector<std::string>& roots, const std::string& except);

/// Why the calling user may not run `plan` now (the limit, its value, the file), or nullopt.
/// `limitsFile` is normally kLimitsFile; `replacing` is the lab `apply` changes (empty for up).
std::optional<std::string> limitRefusal(const LaunchPlan& plan, const std::string& replacing,
                                        const std::string& limitsFile = kLimitsFile);

} // namespace umlab::lab::runtime
