#pragma once
// The verbs that act on one node of a running lab: node (stop, start, restart, crash) and
// inspect (its live addresses, routes, neighbours, sockets and firewall counters)
// (node_commands.cpp).

#include "cli.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (node or inspect) with its arguments.
int runNodeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err);

/// The --help text of a node verb, or nullptr.
const char* nodeHelp(const std::string& command);

} // namespace umlab::cli
