#pragma once
// umlab limits (limits_command.cpp): check the machine's limits file and show a user's limits.

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kLimitsHelp;

/// Runs `umlab limits ...`; `args` excludes "limits".
int runLimitsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
