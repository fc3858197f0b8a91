// umlab up / ps / exec / console / events / apply / down / clean: parsing and printing only.
// The work is the runtime library's: `Launcher` starts labs, `LabClient` reaches running ones
// (lab/runtime/launcher.hpp, lab_client.hpp).
#include "runtime_commands.hpp"
#include "import_command.hpp"
#include "save_commands.hpp"
#include "cluster_commands.hpp"
#include "umlab/lab/runtime/cluster_lab.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/topology_images.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/plan_file.hpp"
#include "umlab/lab/runtime/classroom.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/state_roots.hpp"

#include <algorithm>
#include <iostream>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <poll.h>
#include <cstdlib>
#include <sstream>
#include <termios.h>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;
using runtime::LabClient;
using runtime::RuntimeError;
using Clock = std::chrono::steady_clock;

void requireLabName(const std::string& s) {
  if (std::string problem = runtime::checkLabName(s); !problem.empty())
    throw CliUsageError{problem};
}

/// The client for LAB: under the first of the caller's state roots (or --user's) that holds it.
LabClient clientFor(const std::string& self, const CliArgs& a, const std::string& lab) {
  return LabClient(stateRootFor(self, a, lab));
}

std::chrono::milliseconds durationOption(const CliArgs& a, const std::string& name, std::chrono::milliseconds otherwise,
                                         const char* example) {
  auto v = a.get(name);
  if (!v)
    return otherwise;
  auto d = parseDuration(*v);
  if (!d || *d < std::chrono::milliseconds(1))
    throw CliUsageError{name + " needs a duration such as '" + example + "', not '" + *v + "'"};
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

/// Compiles and plans `file` for labs under `stateRoot`; prints the diagnostics.
std::optional<lab::LaunchPlan> planFile(const std::string& self, const std::string& file, const std::string& stateRoot,
                                        std::ostream& err) {
  runtime::PlannedFile planned = runtime::planTopologyFile(self, file, stateRoot);
  if (!planned.imageWarning.empty())
    err << "umlab: warning: cannot find the builds of the topology's images: " << planned.imageWarning << "\n";
  err << planned.diagnostics;
  return std::move(planned.plan);
}

// ---- up ------------------------------------------------------------------------------------

int cmdUp(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"up takes one topology file (or a Netkit/Kathara lab directory), as in 'umlab up topologies/lan.yaml'"};
  BootRequest req;
  req.file = a.positional()[0];
  req.stateRoot = stateRootFor(self, a);
  req.bootTimeout = std::chrono::duration_cast<std::chrono::seconds>(
      durationOption(a, "--timeout", std::chrono::seconds(180), "120s"));
  if (req.bootTimeout < std::chrono::seconds(1))
    throw CliUsageError{"--timeout needs a duration of at least 1s"};
  req.startupDir = a.get("--startup-dir").value_or("");
  if (a.get("--engine")) // on several hosts (cluster_commands.hpp)
    return upOnCluster(self, a, req, out, err);
  for (const char* o : {"--hosts", "--partition", "--vxlan-port", "--host-guests", "--host-memory"})
    if (a.get(o))
      throw CliUsageError{std::string(o) + " is for a lab on several hosts: add --engine slurm"};
  if (isArchiveFile(req.file)) // a lab archive (save_commands.hpp)
    return upArchive(self, a, req.stateRoot, req.bootTimeout, out, err);
  if (a.get("--name") || a.has("--unpack-only"))
    throw CliUsageError{"--name and --unpack-only are for lab archives (FILE.umlab)"};
  PrintProgress progress(out, err, "  ");
  std::string lab;
  const int status = bootLab(self, req, progress, out, err, &lab);
  if (status != kExitOk)
    return status;
  return kExitOk;
}

// ---- ps ------------------------------------------------------------------------------------

int cmdPs(const std::string&, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format must be 'text' or 'json', not '" + fmt + "'"};
  const bool all = a.has("--all");
  if (all && ::geteuid() != 0)
    throw CliUsageError{"--all lists every account's labs, which only root may see; 'umlab ps' lists yours"};
  if (all && (a.has("--user") || a.has("--state-dir") || !a.positional().empty()))
    throw CliUsageError{"--all lists every lab; it takes no lab names, --user or --state-dir"};
  const std::vector<std::string> roots = stateRootsFor(a);
  // (lab, the root it is under)
  std::vector<std::pair<std::string, std::string>> labs;
  for (const std::string& l : a.positional()) {
    requireLabName(l);
    labs.emplace_back(l, runtime::rootOfLab(roots, l));
  }
  if (all)
    for (const runtime::LabLocation& l : runtime::everyUsersLabs())
      labs.emplace_back(l.lab, l.root);
  else if (labs.empty())
    for (const std::string& root : roots)
      for (const std::string& l : LabClient(root).labs())
        labs.emplace_back(l, root);
  std::vector<std::string> shown, running;
  int status = kExitOk;
  for (const auto& [name, root] : labs) {
    // A named lab that does not run may be saved (save_commands.hpp): shown below.
    if (!a.positional().empty() && isSavedLab(name)) {
      const std::vector<std::string> withState = LabClient(root).labs();
      if (std::find(withState.begin(), withState.end(), name) == withState.end())
        continue;
    }
    running.push_back(name);
    try {
      if (runtime::isClusterLab(root, name)) { // on several hosts (cluster_commands.hpp)
        shown.push_back(clusterStatus(root, name, fmt == "json"));
        continue;
      }
      const runtime::LabStatus s = LabClient(root).status(name);
      shown.push_back(fmt == "json" ? runtime::labStatusJson(s) : runtime::renderLabStatusText(s, all));
    } catch (const RuntimeError& e) {
      err << "umlab: error: " << e.what() << "\n";
      status = a.positional().empty() ? status : kExitInputError;
    }
  }
  if (!all && !a.has("--user")) // the caller's saved labs, after the running ones
    for (std::string& s : savedLabsForPs(a.positional(), running, fmt))
      shown.push_back(std::move(s));
  if (fmt == "json") {
    out << "[";
    for (size_t i = 0; i < shown.size(); ++i) {
      std::string t = shown[i];
      while (!t.empty() && t.back() == '\n')
        t.pop_back();
      out << (i ? ",\n" : "\n") << t;
    }
    out << (shown.empty() ? "]\n" : "\n]\n");
    return status;
  }
  for (size_t i = 0; i < shown.size(); ++i)
    out << (i ? "\n" : "") << shown[i];
  if (shown.empty() && status == kExitOk) {
    std::string where;
    for (const std::string& r : all ? std::vector<std::string>{} : roots)
      where += (where.empty() ? "" : " or ") + r;
    out << "no labs are running or saved" << (where.empty() ? "" : " (state directory " + where + ")") << "\n";
  }
  return status;
}

// ---- exec ----------------------------------------------------------------------------------

int cmdExec(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() < 3)
    throw CliUsageError{"exec needs a lab, a node and a command, as in 'umlab exec lan pc1 -- ping -c1 10.0.0.2'"};
  requireLabName(pos[0]);
  runtime::ExecOptions o;
  o.timeout = durationOption(a, "--timeout", std::chrono::milliseconds(0), "30s");
  o.stdinFd = a.has("-i") || a.has("--interactive") ? 0 : -1;
  o.onStdout = [](const std::string& d) { writeAll(1, d); };
  o.onStderr = [](const std::string& d) { writeAll(2, d); };
  out.flush();
  const std::vector<std::string> argv(pos.begin() + 2, pos.end());
  if (const std::string root = stateRootFor(self, a, pos[0]); runtime::isClusterLab(root, pos[0])) {
    std::vector<std::string> verb{"exec", pos[1], "--"};
    verb.insert(verb.end(), argv.begin(), argv.end());
    return execOnClusterNode(root, pos[0], pos[1], verb, err);
  }
  const runtime::ExecResult r = clientFor(self, a, pos[0]).exec(pos[0], pos[1], argv, o);
  if (!r.error.empty())
    err << "umlab: error: " << r.error << "\n";
  if (r.exitCode < 0)
    return r.isRefused ? kExitInputError : kExitHostFailure;
  return r.exitCode;
}

// ---- console -------------------------------------------------------------------------------

int cmdConsole(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"console needs a lab and a node, as in 'umlab console lan pc1'"};
  requireLabName(pos[0]);
  if (const std::string root = stateRootFor(self, a, pos[0]); runtime::isClusterLab(root, pos[0])) {
    out << "console of " << pos[1] << " on its host (end with Ctrl-D)\n" << std::flush;
    return execOnClusterNode(root, pos[0], pos[1], {"console", pos[1]}, std::cerr);
  }
  UniqueFd fd = clientFor(self, a, pos[0]).console(pos[0], pos[1]);
  const bool tty = ::isatty(0);
  out << "connected to the console of " << pos[1] << " in lab " << pos[0]
      << "; press Enter for a login prompt (root/root), Ctrl-] to leave\r\n";
  out.flush();
  struct RawMode {
    termios saved{};
    bool isActive = false;
    void enter() {
      if (::tcgetattr(0, &saved) != 0)
        return;
      termios raw = saved;
      ::cfmakeraw(&raw);
      isActive = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
    ~RawMode() {
      if (isActive)
        ::tcsetattr(0, TCSANOW, &saved);
    }
  } mode;
  if (tty)
    mode.enter();
  char buf[4096];
  bool stdinOpen = true;
  for (;;) {
    pollfd p[2] = {{fd.get(), POLLIN, 0}, {0, static_cast<short>(stdinOpen ? POLLIN : 0), 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR)
      break;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0)
        break;
      writeAll(1, std::string_view(buf, static_cast<size_t>(n)));
    }
    if (stdinOpen && (p[1].revents & (POLLIN | POLLHUP))) {
      const ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) {
        stdinOpen = false;
        if (!tty)
          break;
        continue;
      }
      const std::string data(buf, static_cast<size_t>(n));
      if (size_t at = data.find('\x1d'); at != std::string::npos) {
        writeAll(fd.get(), data.substr(0, at));
        break;
      }
      writeAll(fd.get(), data);
    }
  }
  out << "\r\nleft the console of " << pos[1] << "\n";
  return kExitOk;
}

// ---- events --------------------------------------------------------------------------------

/// One event for people: "12:01:03 node pc1 ready (pid 4242)".
std::string describeEvent(const runtime::LabEvent& e) {
  char clock[16] = "";
  const time_t secs = static_cast<time_t>(e.time);
  tm local{};
  ::localtime_r(&secs, &local);
  std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
  return std::string(clock) + " " + runtime::describeLabEvent(e);
}

int cmdEvents(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() != 1)
    throw CliUsageError{"events needs a lab, as in 'umlab events lan'"};
  requireLabName(pos[0]);
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format must be 'text' or 'json', not '" + fmt + "'"};
  const bool withCounters = fmt == "json" || a.has("--counters");
  auto print = [&](const runtime::LabEvent& e) {
    if (fmt == "json")
      out << runtime::labEventJson(e);
    else if (withCounters || e.type != runtime::LabEvent::Type::Counters)
      out << describeEvent(e) << (e.host.empty() ? "" : " [" + e.host + "]") << "\n";
    out.flush();
    return static_cast<bool>(out);
  };
  if (const std::string root = stateRootFor(self, a, pos[0]); runtime::isClusterLab(root, pos[0])) {
    eventsOnCluster(root, pos[0], print);
    return kExitOk;
  }
  clientFor(self, a, pos[0]).events(pos[0], print);
  return kExitOk;
}

// ---- apply ---------------------------------------------------------------------------------

int cmdApply(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"apply takes the lab's edited topology file, as in 'umlab apply topologies/lan.yaml'"};
  std::string stateRoot = stateRootFor(self, a);
  std::optional<lab::LaunchPlan> plan = planFile(self, a.positional()[0], stateRoot, err);
  if (!plan)
    return kExitInputError;
  // The lab may run under another of the caller's state roots (state_roots.hpp): plan it there.
  if (std::string root = stateRootFor(self, a, plan->lab); root != stateRoot) {
    stateRoot = root;
    std::ostringstream ignored;
    plan = planFile(self, a.positional()[0], stateRoot, ignored);
    if (!plan)
      return kExitInputError;
  }
  const LabClient client(stateRoot);
  if (!client.isRunning(plan->lab))
    throw CliFailure{"lab '" + plan->lab + "' is not running; start it with 'umlab up " + a.positional()[0] + "'"};
  std::vector<std::string> restart;
  if (a.has("--restart-changed"))
    for (const lab::GuestPlan& g : plan->guests)
      restart.push_back(g.name);
  const runtime::PlanChanges changes = client.planChanges(plan->lab, *plan, restart);
  const std::vector<std::string> lines = runtime::describeChanges(changes);
  if (changes.empty()) {
    out << "lab '" << plan->lab << "' already matches " << a.positional()[0] << "; nothing to do\n";
    return kExitOk;
  }
  if (a.has("--dry-run")) {
    out << "lab '" << plan->lab << "': " << a.positional()[0] << " would make " << lines.size() << " change"
        << (lines.size() == 1 ? "" : "s") << " (nothing done):\n";
    for (const std::string& l : lines)
      out << "  " << l << "\n";
    return changes.refused.empty() ? kExitOk : kExitInputError;
  }
  if (!changes.refused.empty()) {
    err << "umlab: error: nothing was changed; these changes cannot be made while lab '" << plan->lab << "' runs:\n";
    for (const std::string& r : changes.refused)
      err << "  " << r << "\n";
    return kExitInputError;
  }
  out << "lab '" << plan->lab << "': applying " << lines.size() << " change" << (lines.size() == 1 ? "" : "s") << "\n";
  out.flush();
  const auto started = Clock::now();
  const std::vector<std::string> made = client.apply(plan->lab, *plan, changes, restart, runtime::guestBinDir(self));
  for (const std::string& l : made)
    out << "  " << l << "\n";
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", std::chrono::duration<double>(Clock::now() - started).count());
  out << "lab '" << plan->lab << "' matches " << a.positional()[0] << " (" << t << " s)\n";
  return kExitOk;
}

// ---- down and clean ------------------------------------------------------------------------

void reportDown(const std::string& name, const runtime::DownResult& r, bool keep, const std::string& stateRoot,
                std::ostream& out) {
  if (!r.wasRunning) {
    out << "lab '" << name << "' was not running; removed what it left (" << r.strayGroups << " process group"
        << (r.strayGroups == 1 ? "" : "s") << " stopped)\n";
    return;
  }
  out << "lab '" << name << "' is down" << (keep ? "; COW files kept in " + stateRoot + "/" + name + "/cow" : "")
      << (r.strayGroups ? " (" + std::to_string(r.strayGroups) + " stray process groups stopped)" : "") << "\n";
}

int cmdDown(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.has("--saved"))
    return downSaved(a, out, err);
  if (a.positional().empty())
    throw CliUsageError{"down needs the name of a lab, as in 'umlab down lan'; 'umlab ps' lists them"};
  int status = kExitOk;
  for (const std::string& name : a.positional()) {
    requireLabName(name);
    const LabClient client = clientFor(self, a, name);
    if (runtime::isClusterLab(client.stateRoot(), name)) { // on several hosts
      if (a.has("--keep"))
        throw CliUsageError{"--keep is for a lab on one host: a lab on several hosts keeps nothing after 'down'"};
      try {
        downCluster(client.stateRoot(), name, out);
      } catch (const RuntimeError& e) {
        err << "umlab: error: " << e.what() << "\n";
        status = kExitHostFailure;
      }
      continue;
    }
    try {
      reportDown(name, client.down(name, a.has("--keep")), a.has("--keep"), client.stateRoot(), out);
    } catch (const RuntimeError& e) {
      std::error_code ec; // another user's state root cannot be looked into: not a saved lab of ours
      if (!fs::exists(client.stateRoot() + "/" + name, ec) && !ec && isSavedLab(name))
        err << "umlab: error: lab '" << name << "' is saved, not running; 'umlab resume " << name
            << "' boots it, 'umlab down --saved " << name << "' deletes it\n";
      else
        err << "umlab: error: " << e.what() << "\n";
      status = kExitInputError;
    }
  }
  return status;
}

int cmdClean(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  std::vector<std::string> labs = a.positional();
  const bool isNamed = !labs.empty();
  for (const std::string& l : labs)
    requireLabName(l);
  if (!isNamed)
    for (const std::string& root : stateRootsFor(a))
      for (const std::string& l : LabClient(root).labs())
        labs.push_back(l);
  size_t cleaned = 0;
  int status = kExitOk;
  for (const std::string& name : labs) {
    const LabClient client = clientFor(self, a, name);
    std::error_code ec;
    if (runtime::isClusterLab(client.stateRoot(), name)) { // on several hosts: every host cleaned
      try {
        downCluster(client.stateRoot(), name, out);
        ++cleaned;
      } catch (const RuntimeError& e) {
        err << "umlab: error: " << e.what() << "\n";
        status = kExitHostFailure;
      }
      continue;
    }
    if (!fs::is_directory(client.stateRoot() + "/" + name, ec)) {
      err << "umlab: error: there is nothing of lab '" << name << "' to clean\n";
      status = kExitInputError;
      continue;
    }
    // A lab being started has a state directory before its supervisor records itself (config
    // disks come first): without names, a young directory without a supervisor is left alone.
    if (!isNamed && !fs::exists(client.stateRoot() + "/" + name + "/processes", ec)) {
      const auto age = fs::file_time_type::clock::now() - fs::last_write_time(client.stateRoot() + "/" + name, ec);
      if (!ec && age < std::chrono::minutes(5)) {
        out << "lab '" << name << "' is being started (no supervisor yet); 'umlab clean " << name
            << "' removes it anyway\n";
        continue;
      }
    }
    if (client.isRunning(name)) {
      if (isNamed) {
        reportDown(name, client.down(name, false), false, client.stateRoot(), out);
        ++cleaned;
      } else {
        out << "lab '" << name << "' is running; 'umlab down " << name << "' stops it\n";
      }
      continue;
    }
    const size_t n = client.cleanCrashed(name).value_or(0);
    out << "lab '" << name << "': removed its state" << (n ? " and stopped " + std::to_string(n) + " process group(s)" : "")
        << "\n";
    ++cleaned;
  }
  if (cleaned == 0 && !isNamed)
    out << "nothing to clean\n";
  return status;
}

} // namespace

namespace {

runtime::Student accountNamed(const std::string& user) {
  std::optional<runtime::Student> account = runtime::findAccount(user);
  if (!account)
    throw CliUsageError{"there is no account named '" + user + "'"};
  return *account;
}

} // namespace

void actAsAccountFor(const CliArgs& a) {
  const auto user = a.get("--user");
  if (!user)
    return;
  if (a.get("--state-dir"))
    throw CliUsageError{"--user picks that account's state directories; it does not go with --state-dir"};
  if (::geteuid() != 0)
    throw CliUsageError{"--user acts on another account's labs, which only root may do; your own labs need no --user"};
  // Root acts on a user's lab as that user, for the rest of this command: whatever the lab's
  // files say (they are the user's to write), nothing is done with more than the user's rights.
  const runtime::Student account = accountNamed(*user);
  if (const int e = runtime::becomeAccount(account); e != 0)
    throw CliFailure{"cannot act as " + account.account + ": " + std::strerror(e)};
}

std::vector<std::string> stateRootsFor(const CliArgs& a) {
  if (auto v = a.get("--state-dir"))
    return {*v};
  if (auto user = a.get("--user")) {
    // actAsAccountFor made this process the account already.
    if (::geteuid() != accountNamed(*user).uid)
      throw CliUsageError{"--user acts on another account's labs, which only root may do; your own labs need no --user"};
    try {
      return runtime::accountStateRoots(*user);
    } catch (const RuntimeError& e) {
      throw CliUsageError{e.what()};
    }
  }
  return runtime::callerStateRoots();
}

std::string stateRootFor(const std::string&, const CliArgs& a) { return stateRootsFor(a).front(); }

std::string stateRootFor(const std::string&, const CliArgs& a, const std::string& lab) {
  return runtime::rootOfLab(stateRootsFor(a), lab);
}

int bootLab(const std::string& self, const BootRequest& req, runtime::LaunchProgress& progress, std::ostream& out,
            std::ostream& err, std::string* labName) {
  const auto started = Clock::now();
  std::string topologyFile = req.file;
  std::optional<ImportedLab> imported;
  if (std::error_code ec; fs::is_directory(topologyFile, ec)) {
    // A Netkit/Kathara lab directory: imported for this run only.
    imported = importForUp(topologyFile, err);
    if (!imported)
      return kExitInputError;
    out << "lab directory " << topologyFile << ": imported (see 'umlab import " << topologyFile << "')\n";
    topologyFile = imported->file;
  }
  std::optional<lab::LaunchPlan> plan = planFile(self, topologyFile, req.stateRoot, err);
  if (!plan)
    return kExitInputError;
  if (labName)
    *labName = plan->lab;
  if (!req.startupDir.empty()) {
    // A variant of the lab (a student's): NODE.startup in DIR replaces NODE's startup commands.
    std::error_code ec;
    if (!fs::is_directory(req.startupDir, ec))
      throw CliFailure{"--startup-dir " + req.startupDir + " is not a directory"};
    for (lab::GuestPlan& g : plan->guests) {
      const fs::path script = fs::path(req.startupDir) / (g.name + ".startup");
      if (!fs::exists(script, ec))
        continue;
      std::ifstream in(script);
      g.startup = {std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())};
      out << "lab '" << plan->lab << "': " << g.name << " starts with " << script.string() << "\n";
    }
  }
  out << "lab '" << plan->lab << "': starting from " << req.file << "\n";
  out.flush();
  runtime::LaunchOptions options;
  options.stateRoot = req.stateRoot;
  options.bootTimeout = req.bootTimeout;
  options.guestBinDir = runtime::guestBinDir(self);
  if (const int status = reportFailures(err, [&] {
        runtime::Launcher(progress).launch(*plan, options);
        return kExitOk;
      });
      status != kExitOk)
    return status;
  const LabClient client(req.stateRoot);
  for (const lab::ReplayPlan& r : plan->replays) {
    try {
      runtime::ReplayOptions o;
      o.speed = r.speed;
      o.loop = r.loop;
      if (r.rewriteMac)
        o.rewriteDst = r.rewriteTo;
      client.startReplay(plan->lab, r.segment, r.pcapPath, o);
      progress.step("replay " + r.pcapPath + " into " + r.segment + " started");
    } catch (const RuntimeError& e) {
      progress.warning(std::string(e.what()) + "; the lab is up without it");
    }
  }
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", std::chrono::duration<double>(Clock::now() - started).count());
  out << "lab '" << plan->lab << "' is up: " << plan->guests.size() << " guest" << (plan->guests.size() == 1 ? "" : "s")
      << " ready in " << t << " s\n";
  if (!plan->guests.empty() && req.showHints)
    out << "try:  umlab exec " << plan->lab << " " << plan->guests.front().name << " -- ip -br addr\n"
        << "      umlab console " << plan->lab << " " << plan->guests.front().name << "      (login root/root)\n"
        << "      umlab events " << plan->lab << "\n"
        << "      umlab down " << plan->lab << "\n";
  return kExitOk;
}

const char* const kUpHelp =
    "usage: umlab up [options] FILE\n"
    "       umlab up [options] FILE.umlab\n"
    "\n"
    "Boot the lab in FILE: one UML guest per node, each on its own copy-on-write file over the\n"
    "shared base image, and a switch per switch or hub segment, all in the lab's own network\n"
    "namespace. Returns when every guest's agent answers; the lab keeps running afterwards\n"
    "('umlab events LAB' follows it, 'umlab apply FILE' changes it, 'umlab down LAB' stops it).\n"
    "Runs as root or as any user (rootless: the lab's namespaces belong to a user namespace of\n"
    "the user's own, docs/classroom.md); needs a base image ('umlab image build').\n"
    "FILE.umlab, a lab archive ('umlab archive'), is unpacked into a saved lab and resumed with\n"
    "its disks as they were (docs/save-resume.md).\n"
    "\n"
    "options:\n"
    "  --timeout D        give up when a guest is not ready after D (default 180s)\n"
    "  --startup-dir DIR  NODE.startup files in DIR replace those nodes' startup commands\n"
    "                     (a variant of the lab, e.g. a student's)\n"
    "  --state-dir DIR    keep the lab's state under DIR (default $UMLAB_STATE_DIR, else\n"
    "                     $XDG_RUNTIME_DIR/umlab, else /run/umlab for root, /tmp/umlab-UID\n"
    "                     for others)\n"
    "  --name NEW         (FILE.umlab) run the archived lab under the name NEW\n"
    "  --unpack-only      (FILE.umlab) unpack it as a saved lab; 'umlab resume' boots it\n"
    "  -h, --help         show this help\n"
    "\n"
    "on several hosts (docs/multihost.md):\n"
    "  --engine slurm     obtain the hosts from Slurm (salloc) and run one shard of the lab on\n"
    "                     each (srun); segments that span hosts are joined by VXLAN\n"
    "  --hosts N          how many hosts (default 2); guests are placed so that few segments\n"
    "                     span hosts ('umlab plan FILE --hosts N' shows where each goes)\n"
    "  --partition P      the Slurm partition (default: the cluster's default)\n"
    "  --vxlan-port PORT  UDP port of the first spanning segment, + 1 for each next (default 4789)\n"
    "  --host-guests G    at most G guests on a host\n"
    "  --host-memory SIZE at most SIZE of guest memory on a host (e.g. 16G)\n";

const char* const kPsHelp =
    "usage: umlab ps [options] [LAB...]\n"
    "\n"
    "Show the running labs: each node's state (booting, ready, stopping, stopped, dead), pid,\n"
    "uptime, memory and interfaces, and each switch; then the saved labs ('umlab save'): when\n"
    "saved and the disk they use (in JSON: state \"saved\", savedTime, diskBytes, origin).\n"
    "\n"
    "options:\n"
    "  --format text|json   output format (default text)\n"
    "  --all                (root) every account's labs, each with its owner\n"
    "  --user NAME          (root) the labs of account NAME\n"
    "  --state-dir DIR      where labs keep their state\n"
    "  -h, --help           show this help\n";

const char* const kExecHelp =
    "usage: umlab exec [options] LAB NODE -- COMMAND [ARG...]\n"
    "\n"
    "Run COMMAND in NODE through its agent (no network needed). Its standard output and error\n"
    "are passed through separately, and umlab exits with its exit status (124 on timeout, 127\n"
    "when the command does not exist).\n"
    "\n"
    "options:\n"
    "  --timeout D        kill the command after D (e.g. 30s); default: no limit\n"
    "  -i, --interactive  pass standard input to the command\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  --user NAME        (root) act on the labs of account NAME\n"
    "  -h, --help         show this help\n";

const char* const kConsoleHelp =
    "usage: umlab console [options] LAB NODE\n"
    "\n"
    "Attach to NODE's main console (a login prompt: root/root). Ctrl-] leaves; the guest keeps\n"
    "running.\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  --user NAME        (root) act on the labs of account NAME\n"
    "  -h, --help         show this help\n";

const char* const kDownHelp =
    "usage: umlab down [options] LAB...\n"
    "\n"
    "Stop a lab: every guest and switch is stopped and reaped, and its sockets, COW files and\n"
    "state are removed.\n"
    "\n"
    "options:\n"
    "  --keep             keep the guests' COW files (in the state directory's cow/)\n"
    "  --saved            delete the saved labs LAB... ('umlab save'): their disks are lost\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  --user NAME        (root) act on the labs of account NAME\n"
    "  -h, --help         show this help\n";

const char* const kCleanHelp =
    "usage: umlab clean [options] [LAB...]\n"
    "\n"
    "Remove what crashed labs left behind: their processes (only those umlab recorded starting,\n"
    "matched by pid and start time) and their state. Named labs that are still running are\n"
    "taken down; without names, running labs are left alone.\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  --user NAME        (root) act on the labs of account NAME\n"
    "  -h, --help         show this help\n";

const char* const kEventsHelp =
    "usage: umlab events [options] LAB\n"
    "\n"
    "Follow a running lab live: nodes booting, ready, stopping, stopped or dying, switches\n"
    "answering or not, link conditions changing, interfaces plugged and unplugged, and (with\n"
    "--counters, always in JSON) each switch port's frames and bytes in and out and drops, once\n"
    "a second. Ends when the lab goes down. In JSON, one object per line, each with a 'type'\n"
    "and a 'time' (Unix seconds):\n"
    "  node {node, state, pid}   switch {segment, state}   link {segment, port, in, out}\n"
    "  interface {node, interface, segment, action}   lab {lab, state}\n"
    "  counters {segment, answering, ageSeconds, ports: [{port, kind, framesIn, bytesIn,\n"
    "            framesOut, bytesOut, drops}]}\n"
    "\n"
    "options:\n"
    "  --format text|json   output format (default text)\n"
    "  --counters           in text, print the counters too\n"
    "  --state-dir DIR      where labs keep their state\n"
    "  --user NAME          (root) act on the labs of account NAME\n"
    "  -h, --help           show this help\n";

const char* const kApplyHelp =
    "usage: umlab apply [options] FILE\n"
    "\n"
    "Change a running lab to match its edited topology FILE, live: nodes, links, segments,\n"
    "monitors and link conditions are added and removed (hot-plug through mconsole, new\n"
    "switches, new guests); everything that did not change keeps running untouched (same pids,\n"
    "consoles stay connected). A change that cannot be made live (a node's memory, image,\n"
    "startup commands...) is listed and refused, and nothing is done, unless --restart-changed\n"
    "reboots those nodes with the change (on a fresh COW file).\n"
    "\n"
    "options:\n"
    "  --dry-run          print the changes and do nothing\n"
    "  --restart-changed  reboot nodes whose changes need it\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

int runRuntimeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err) {
  using Spec = CommandSpec;
  static const std::map<std::string, Spec> specs{
      {"up", {kUpHelp, {"-h", "--help", "--unpack-only"},
              {"--timeout", "--state-dir", "--startup-dir", "--name", "--engine", "--hosts", "--partition", "--vxlan-port",
               "--host-guests", "--host-memory"},
              cmdUp}},
      {"ps", {kPsHelp, {"-h", "--help", "--all"}, {"--format", "--state-dir", "--user"}, cmdPs}},
      {"exec", {kExecHelp, {"-h", "--help", "-i", "--interactive"}, {"--timeout", "--state-dir", "--user"}, cmdExec}},
      {"console", {kConsoleHelp, {"-h", "--help"}, {"--state-dir", "--user"}, cmdConsole}},
      {"events", {kEventsHelp, {"-h", "--help", "--counters"}, {"--format", "--state-dir", "--user"}, cmdEvents}},
      {"apply", {kApplyHelp, {"-h", "--help", "--dry-run", "--restart-changed"}, {"--state-dir"}, cmdApply}},
      {"down", {kDownHelp, {"-h", "--help", "--keep", "--saved"}, {"--state-dir", "--user"}, cmdDown}},
      {"clean", {kCleanHelp, {"-h", "--help"}, {"--state-dir", "--user"}, cmdClean}},
  };
  const Spec& spec = specs.at(command);
  // For exec, everything after the node (or after "--") is the command, options included.
  std::vector<std::string> own = args, tail;
  if (command == "exec") {
    auto dash = std::find(args.begin(), args.end(), "--");
    if (dash != args.end()) {
      own.assign(args.begin(), dash);
      tail.assign(dash + 1, args.end());
    }
  }
  CliArgs a(own, spec.flags, spec.options);
  if (a.has("-h") || a.has("--help")) {
    out << spec.help;
    return kExitOk;
  }
  if (!tail.empty())
    a.appendPositional(tail);
  return reportFailures(err, [&] {
    actAsAccountFor(a);
    return spec.run(self, a, out, err);
  });
}

const char* runtimeHelp(const std::string& command) {
  static const std::map<std::string, const char*> h{{"up", kUpHelp},           {"ps", kPsHelp},
                                                      {"exec", kExecHelp},       {"console", kConsoleHelp},
                                                      {"events", kEventsHelp},   {"apply", kApplyHelp},
                                                      {"down", kDownHelp},       {"clean", kCleanHelp}};
  auto it = h.find(command);
  return it == h.end() ? nullptr : it->second;
}

} // namespace umlab::cli
