#pragma once
// The verbs that act on a running lab's segments and links: link, capture, replay, host
// (segment_commands.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (link, capture, replay or host) with its arguments.
int runSegmentCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);

/// The --help text of a segment verb, or nullptr.
const char* segmentHelp(const std::string& command);

} // namespace umlab::cli
