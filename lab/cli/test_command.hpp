#pragma once
// umlab test (test_command.cpp): a tests file's checks, run in its lab.

#include "cli.hpp"
#include "cli_args.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kTestHelp;

int runTestCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
