#pragma once
// umlab diff LAB NODE: what a guest changed on its disk, read offline from its COW file
// (diff_command.cpp; the runtime library's guest_diff.hpp and guest_disk.hpp do the work).

#include "cli_args.hpp"

#include "umlab/lab/model/topology.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// The nodes `--diff NODE[,NODE...]` names (of `umlab test` and `umlab class test`), checked
/// against the lab's topology; empty without --diff. Throws CliUsageError for an unknown node.
std::vector<std::string> diffNodesOption(const CliArgs& a, const lab::Topology& topology);

/// The disk diff of each node (default ignores) for a test report, one block per node:
/// "diff of NODE: 2 added, 1 changed, 0 removed" then the `umlab diff` lines indented, or the
/// reason there is none. `flush`: ask running nodes to flush first (guest_disk.hpp). Never throws.
std::string nodeDiffsReport(const std::string& stateRoot, const std::string& lab, const std::vector<std::string>& nodes,
                            bool flush);

int runDiffCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The --help text (it lists the default ignores, from the runtime library).
std::string diffHelp();

} // namespace umlab::cli
