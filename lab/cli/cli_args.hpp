#pragma once
// The command line's small option parser and its two error kinds, shared by every verb.

#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace umlab::cli {

class CliArgs;

/// One subcommand of a command table: its --help text, the flags and options it takes, and the
/// function that runs it.
struct CommandSpec {
  const char* help;
  std::vector<std::string> flags;
  std::vector<std::string> options;
  int (*run)(const std::string& self, const CliArgs& args, std::ostream& out, std::ostream& err);
};

/// Bad usage: printed as "umlab: error: ...", exit status 2.
struct CliUsageError {
  std::string message;
};

/// The command could not do its work (no such lab, a host failure): exit status 1.
struct CliFailure {
  std::string message;
};

/// Runs a verb's work and turns what it throws into "umlab: error: ..." on `err` and an exit
/// status: CliFailure and the runtime's RuntimeError 1 (the input or the lab's state is the
/// problem), any other std::exception 3 (a host failure: said, never a crash).
int reportFailures(std::ostream& err, const std::function<int()>& body);

/// Flags and options with one value ("--x v" or "--x=v"), then positional arguments; "--"
/// ends the options. Unknown options are usage errors with a "did you mean".
class CliArgs {
public:
  CliArgs(const std::vector<std::string>& args, std::vector<std::string> flags, std::vector<std::string> options);

  bool has(const std::string& name) const { return set_.count(name) != 0; }
  std::optional<std::string> get(const std::string& a, const std::string& b = "") const;
  /// Every value of an option given several times, in order (`get` has the last).
  std::vector<std::string> getAll(const std::string& name) const {
    auto it = all_.find(name);
    return it == all_.end() ? std::vector<std::string>{} : it->second;
  }
  const std::vector<std::string>& positional() const { return positional_; }
  void appendPositional(const std::vector<std::string>& more) {
    positional_.insert(positional_.end(), more.begin(), more.end());
  }

private:
  std::vector<std::string> flags_, options_, positional_;
  std::map<std::string, std::string> set_;
  std::map<std::string, std::vector<std::string>> all_;
};

} // namespace umlab::cli
