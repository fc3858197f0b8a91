#pragma once
/// The `umlab` command line, as a function so that tests run it in-process and check its exact
/// output and exit status. main() only forwards argv and the standard streams.
///
/// Exit status: 0 success (warnings allowed), 1 the input has errors, 2 usage error,
/// 3 a host failure (a file could not be written, a helper program failed).

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

constexpr int kExitOk = 0;
constexpr int kExitInputError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitHostFailure = 3;

/// `args` excludes the program name; `self` is argv[0] (used to find umlab-switchd).
int run(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
