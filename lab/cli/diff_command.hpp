#pragma once
// umlab diff LAB NODE: what a guest changed on its disk, read offline from its COW file
// (diff_command.cpp; the runtime library's guest_diff.hpp and guest_disk.hpp do the work).

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

int runDiffCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The --help text (it lists the default ignores, from the runtime library).
std::string diffHelp();

} // namespace umlab::cli
