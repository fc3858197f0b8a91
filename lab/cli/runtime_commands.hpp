#pragma once
// The verbs that run labs: up, ps, exec, console, down, clean (runtime_commands.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// Runs `command` (one of up, ps, exec, console, down, clean) with its arguments.
int runRuntimeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);
/// Where labs keep their state: --state-dir, else the host layout's state root. Every verb
/// that reaches a running lab uses this.
std::string stateRootFor(const std::string& self, const CliArgs& a);

/// What a command run in a guest did: its exit status (124 after the timeout, -1 when it could
/// not be asked at all; `err` says why) and its output.
struct GuestExec {
  int exitCode = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` in `node` of the running lab through its supervisor and the guest's agent, as
/// `umlab exec` does, and collects its output (up to 1 MiB of each stream).
GuestExec execInGuest(const std::string& stateRoot, const std::string& lab, const std::string& node,
                      const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// The --help text of a runtime verb, or nullptr.
const char* runtimeHelp(const std::string& command);

} // namespace umlab::cli
