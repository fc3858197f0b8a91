#pragma once
// Helpers shared by the gui tests (not part of the library).

#include <string>
#include <vector>

namespace umlab::gui::test {

/// topologies/*.yaml but not the *.tests.yaml check files, relative to the source directory (the tests' working directory), sorted.
std::vector<std::string> exampleTopologies();

/// Everything `lab::resolve` made of a file that matters to a running lab, as text: names,
/// kinds, settings, interfaces with MACs and addresses, segments and their members, trunks,
/// taps, replays, images; host paths made canonical; no source locations and no layout. Two files
/// describe the same lab when these are equal. "<errors>..." when the file does not compile.
std::string describeTopology(const std::string& path);
std::string describeTopologyText(const std::string& name, const std::string& text);

struct CommandOutput {
  int exitCode = -1;
  std::string output; ///< standard output and standard error, merged in the order written
};

/// Runs the `umlab` built beside the tests: only to compare with what the CLI itself prints
/// (`umlab validate`), never to reach a lab (the runner calls the runtime library).
CommandOutput runUmlab(const std::vector<std::string>& args);

/// The `umlab` executable of this build.
std::string umlabPath();

} // namespace umlab::gui::test
