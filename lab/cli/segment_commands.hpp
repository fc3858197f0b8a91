#pragma once
// The verbs that act on a running lab's segments through their switches: link, capture, replay
// (segment_commands.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/lab/compile/plan.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (link, capture or replay) with its arguments.
int runSegmentCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);
/// Starts the plan's replays in the running lab (umlab up, once the guests are ready). Throws
/// CliFailure naming the capture and the segment.
void startPlannedReplays(const lab::LaunchPlan& plan, const std::string& stateRoot, std::ostream& out);

/// The --help text of a segment verb, or nullptr.
const char* segmentHelp(const std::string& command);

} // namespace umlab::cli
