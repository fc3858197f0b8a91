#pragma once
// The command line's small option parser and its two error kinds, shared by every verb.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace umlab::cli {

/// Bad usage: printed as "umlab: error: ...", exit status 2.
struct CliUsageError {
  std::string message;
};

/// The command could not do its work (no such lab, a host failure): exit status 1.
struct CliFailure {
  std::string message;
};

/// Flags and options with one value ("--x v" or "--x=v"), then positional arguments; "--"
/// ends the options. Unknown options are usage errors with a "did you mean".
class CliArgs {
public:
  CliArgs(const std::vector<std::string>& args, std::vector<std::string> flags, std::vector<std::string> options);

  bool has(const std::string& name) const { return set_.count(name) != 0; }
  std::optional<std::string> get(const std::string& a, const std::string& b = "") const;
  const std::vector<std::string>& positional() const { return positional_; }
  void appendPositional(const std::vector<std::string>& more) {
    positional_.insert(positional_.end(), more.begin(), more.end());
  }

private:
  std::vector<std::string> flags_, options_, positional_;
  std::map<std::string, std::string> set_;
};

} // namespace umlab::cli
