#pragma once
// The verbs that run labs: up, ps, exec, console, events, apply, down, clean
// (runtime_commands.cpp). They parse and print; the runtime library does the work.

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/lab/runtime/launcher.hpp"

#include <chrono>
#include <iosfwd>
#include <ostream>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (one of up, ps, exec, console, events, apply, down, clean) with its arguments.
int runRuntimeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);
/// Where labs keep their state (runtime/state_roots.hpp): --state-dir alone, or --user NAME's
/// roots (root only), else the caller's. New labs start under the first.
std::vector<std::string> stateRootsFor(const CliArgs& a);
/// With --user NAME (root only, not with --state-dir): this process becomes that account for
/// good, so that root acts on a user's lab with the user's rights alone (the lab's files are the
/// user's to write). Every verb that takes --user calls it before it does anything.
void actAsAccountFor(const CliArgs& a);
std::string stateRootFor(const std::string& self, const CliArgs& a);
/// The root that holds LAB (the first, when none does). Every verb that reaches a lab uses this.
std::string stateRootFor(const std::string& self, const CliArgs& a, const std::string& lab);

/// What `umlab up` (and `umlab test`, which boots labs the same way) starts.
/// Progress lines from the launcher, indented under the command's own lines; warnings on `err`.
class PrintProgress final : public lab::runtime::LaunchProgress {
public:
  PrintProgress(std::ostream& out, std::ostream& err, std::string prefix = "  ")
      : out_(out), err_(err), prefix_(std::move(prefix)) {}
  void step(const std::string& line) override { out_ << prefix_ << line << "\n" << std::flush; }
  void warning(const std::string& line) override { err_ << "umlab: warning: " << line << "\n" << std::flush; }

private:
  std::ostream& out_;
  std::ostream& err_;
  std::string prefix_;
};

struct BootRequest {
  std::string file;       ///< a topology file or a Netkit/Kathara lab directory
  std::string stateRoot;
  std::chrono::seconds bootTimeout{180};
  std::string startupDir; ///< NODE.startup files that replace those nodes' startup commands
  bool showHints = true;  ///< "try: umlab exec ..." after it is up
};

/// Compiles, plans and launches `req` in-process (lab/runtime/launcher.hpp), starts its replays,
/// and prints what happens. Returns an exit status; `labName` receives the lab's name once known.
int bootLab(const std::string& self, const BootRequest& req, lab::runtime::LaunchProgress& progress, std::ostream& out,
            std::ostream& err, std::string* labName = nullptr);

/// The --help text of a runtime verb, or nullptr.
const char* runtimeHelp(const std::string& command);

} // namespace umlab::cli
