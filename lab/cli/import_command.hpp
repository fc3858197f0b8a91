#pragma once
// umlab import (import_command.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kImportHelp;

int runImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// For `umlab up DIR`: imports the lab in DIR into a temporary topology file (absolute paths)
/// and returns its path; nullopt after printing the errors. The caller removes the file's
/// directory when done.
std::optional<std::string> importForUp(const std::string& dir, std::ostream& err);

} // namespace umlab::cli
