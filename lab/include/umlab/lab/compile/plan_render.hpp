#pragma once
/// `umlab plan` output: a human-readable text form and a JSON form of a `LaunchPlan`. Both are
/// deterministic and golden-tested (tests/golden/<lab>.plan.txt and .plan.json).

#include "umlab/lab/compile/plan.hpp"

#include <string>
#include <vector>

namespace umlab::lab {

std::string renderPlanText(const LaunchPlan& plan);
std::string renderPlanJson(const LaunchPlan& plan);

/// An argv as one shell line, quoting words that need it.
std::string shellJoin(const std::vector<std::string>& argv);
/// "delay 5ms jitter 1ms loss 0.1% rate 10mbit", or empty.
std::string describeConditions(const LinkConditions& im);

} // namespace umlab::lab
