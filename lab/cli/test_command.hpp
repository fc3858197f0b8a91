#pragma once
// umlab test (test_command.cpp): a tests file's checks, run in its lab.

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/lab/model/topology.hpp"
#include "umlab/lab/testing/test_spec.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kTestHelp;

/// One check's outcome, for reports that are not `umlab test`'s own (`umlab class test`).
struct CheckRun {
  std::string name;
  bool passed = false;
  std::string evidence;
  double seconds = 0;
};

/// Runs the checks of `spec` against LAB, which runs under `stateRoot` (nothing is booted or
/// stopped); `progress` (may be null) gets PASS/FAIL lines as `umlab test` prints them.
std::vector<CheckRun> runChecksOnLab(const lab::testing::TestSpec& spec, const lab::Topology& topology,
                                     const std::string& stateRoot, const std::string& lab, std::ostream* progress);

/// A CSV field, quoted when it must be; a text for XML.
std::string csvQuote(const std::string& s);
std::string xmlQuote(const std::string& s);

int runTestCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
