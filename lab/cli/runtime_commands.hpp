#pragma once
// The verbs that run labs: up, ps, exec, console, down, clean (runtime_commands.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (one of up, ps, exec, console, down, clean) with its arguments.
int runRuntimeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);
/// The --help text of a runtime verb, or nullptr.
const char* runtimeHelp(const std::string& command);

} // namespace umlab::cli
