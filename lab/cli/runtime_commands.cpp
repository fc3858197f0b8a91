// umlab up / ps / exec / console / down / clean: the CLI side of the lab runtime. Everything
// that touches a running lab goes through its supervisor's control socket (lab_state.hpp); a
// lab whose supervisor is gone is cleaned from its `processes` file alone.
#include "runtime_commands.hpp"
#include "segment_commands.hpp"
#include "import_command.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/kernel/cow_file.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/spawn.hpp"
#include "umlab/lab/runtime/supervisor.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <fstream>
#include <ostream>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace fs = std::filesystem;
namespace agent = umlab::kernel::agent;
using Clock = std::chrono::steady_clock;
namespace runtime = umlab::lab::runtime;
using runtime::LabState;

void requireLabName(const std::string& s) {
  if (!lab::hasValidNameCharacters(s) || s.size() > lab::kMaxLabNameLength)
    throw CliUsageError{"'" + s + "' is not a lab name (letters, digits, '-' and '_'); 'umlab ps' lists the running labs"};
}

std::string stateRoot(const std::string& self, const CliArgs& a) { return stateRootFor(self, a); }

/// Reads until EOF or the deadline; returns what came.
std::string readAll(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
      break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

/// Reads one '\n'-terminated line, byte by byte (what follows belongs to the caller).
std::optional<std::string> readLine(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return std::nullopt;
    if (c == '\n')
      return line;
    line += c;
  }
  return std::nullopt;
}

/// Connects to a lab's supervisor and sends `request`. Throws CliFailure with what to do.
UniqueFd connectLab(const LabState& state, const std::string& request) {
  if (!state.exists())
    throw CliFailure{"no lab named '" + state.lab() + "' is running; 'umlab ps' lists the running labs"};
  if (!state.liveSupervisor())
    throw CliFailure{"lab '" + state.lab() + "' is not running: its supervisor is gone (a crash?); 'umlab clean " +
                     state.lab() + "' removes what it left"};
  UniqueFd fd(runtime::connectUnix(state.controlSocket()));
  if (!fd)
    throw CliFailure{"cannot reach the supervisor of lab '" + state.lab() + "' at " + state.controlSocket() + ": " +
                     std::strerror(errno)};
  if (!writeAll(fd.get(), request + "\n"))
    throw CliFailure{"lost the connection to the supervisor of lab '" + state.lab() + "'"};
  return fd;
}

/// Expects "ok"; an "error <text>" line becomes the failure message.
void expectOk(int fd, const std::string& lab) {
  auto line = readLine(fd, std::chrono::seconds(10));
  if (!line)
    throw CliFailure{"the supervisor of lab '" + lab + "' did not answer"};
  if (line->rfind("error ", 0) == 0)
    throw CliFailure{line->substr(6)};
  if (*line != "ok")
    throw CliFailure{"unexpected answer from the supervisor of lab '" + lab + "': " + *line};
}

// ---- up ------------------------------------------------------------------------------------

void checkHost(const lab::LaunchPlan& p, const lab::HostLayout& host) {
  if (::geteuid() != 0)
    throw CliFailure{"umlab up needs root: each lab runs in its own network namespace; run it as root (e.g. with sudo)"};
  if (::access(host.kernel.c_str(), X_OK) != 0)
    throw CliFailure{"the UML kernel '" + host.kernel + "' is missing; install it with 'apt-get install user-mode-linux' or set UMLAB_KERNEL"};
  if (!p.switches.empty() && ::access(host.switchd.c_str(), X_OK) != 0)
    throw CliFailure{"the switch daemon '" + host.switchd + "' is missing; build umlab completely (scripts/test.sh builds it)"};
  if (!p.taps.empty() && ::access("/dev/net/tun", R_OK | W_OK) != 0)
    throw CliFailure{"links to the host need /dev/net/tun, which is missing here; load the tun module ('modprobe tun')"};
  std::map<std::string, std::string> bases; // path -> image name
  for (const lab::GuestPlan& g : p.guests)
    bases.emplace(g.basePath, g.image);
  for (const auto& [b, image] : bases)
    if (::access(b.c_str(), R_OK) != 0)
      throw CliFailure{"the base image '" + b + "' is missing; build it with 'umlab image build" +
                       (image == "debian" ? std::string() : " --name " + image) + "' (a few minutes, once)"};
}

/// True when `dir` holds nothing but the cow/ directory that `down --keep` leaves.
bool keptCowOnly(const std::string& dir) {
  std::error_code ec;
  bool any = false;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != "cow")
      return false;
    any = true;
  }
  return any;
}

void makeStateDirs(const lab::LaunchPlan& p, bool reuseCow) {
  ::umask(077);
  std::error_code ec;
  fs::create_directories(fs::path(p.stateDir).parent_path(), ec);
  if (!reuseCow && ::mkdir(p.stateDir.c_str(), 0700) != 0)
    throw CliFailure{"cannot create the state directory '" + p.stateDir + "': " + std::strerror(errno)};
  for (const char* sub : {"sw", "cow", "uml", "log", "nodes"})
    if (!(reuseCow && std::string(sub) == "cow") && ::mkdir((p.stateDir + "/" + sub).c_str(), 0700) != 0)
      throw CliFailure{"cannot create '" + p.stateDir + "/" + sub + "': " + std::strerror(errno)};
  for (const lab::GuestPlan& g : p.guests)
    fs::create_directories(fs::path(g.configDisk).parent_path());
  std::ofstream(p.stateDir + "/plan.txt") << lab::renderPlanText(p);
}

int cmdUp(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"up takes one topology file (or a Netkit/Kathara lab directory), as in 'umlab up topologies/lan.yaml'"};
  const auto started = Clock::now();
  lab::HostLayout host = lab::hostLayoutFromEnvironment(self);
  if (auto v = a.get("--state-dir"))
    host.stateRoot = *v;
  std::chrono::seconds timeout(180);
  if (auto v = a.get("--timeout")) {
    auto d = parseDuration(*v);
    if (!d || *d < std::chrono::seconds(1))
      throw CliUsageError{"--timeout needs a duration such as '120s', not '" + *v + "'"};
    timeout = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  std::string topologyFile = a.positional()[0];
  std::optional<ImportedLab> imported;
  if (std::error_code ec; fs::is_directory(topologyFile, ec)) {
    // A Netkit/Kathara lab directory: imported for this run only.
    imported = importForUp(topologyFile, err);
    if (!imported)
      return kExitInputError;
    out << "lab directory " << topologyFile << ": imported (see 'umlab import " << topologyFile << "')\n";
    topologyFile = imported->file;
  }
  SourceManager sources;
  Diagnostics diags;
  auto compiled = lab::compileFile(topologyFile, sources, diags);
  std::optional<lab::LaunchPlan> plan;
  if (compiled)
    plan = lab::plan(compiled->topology, host, diags);
  renderDiagnostics(diags, err);
  if (!plan)
    return kExitInputError;
  if (auto dir = a.get("--startup-dir")) {
    // A variant of the lab (a student's): NODE.startup in DIR replaces NODE's startup commands.
    std::error_code ec;
    if (!fs::is_directory(*dir, ec))
      throw CliFailure{"--startup-dir " + *dir + " is not a directory"};
    for (lab::GuestPlan& g : plan->guests) {
      const fs::path script = fs::path(*dir) / (g.name + ".startup");
      if (!fs::exists(script, ec))
        continue;
      std::ifstream in(script);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      g.startup = {text};
      out << "lab '" << plan->lab << "': " << g.name << " starts with " << script.string() << "\n";
    }
  }

  LabState state(host.stateRoot, plan->lab);
  bool reuseCow = false;
  if (state.exists()) {
    if (auto sup = state.liveSupervisor())
      throw CliFailure{"lab '" + plan->lab + "' is already running (supervisor pid " + std::to_string(sup->pid) +
                       "); stop it with 'umlab down " + plan->lab + "' first"};
    reuseCow = keptCowOnly(state.dir());
    if (!reuseCow)
      throw CliFailure{"a previous run of lab '" + plan->lab + "' left its state in " + state.dir() +
                       "; remove it with 'umlab clean " + plan->lab + "'"};
  }
  checkHost(*plan, host);
  if (reuseCow)
    out << "lab '" << plan->lab << "': reusing the COW files that 'umlab down --keep' kept in " << state.dir() << "/cow\n";
  makeStateDirs(*plan, reuseCow);
  // From here on a failure must not leave the state directory behind.
  // (COW files kept by 'down --keep' are never removed here: nothing of the user's is lost.)
  struct RemoveUnlessStarted {
    std::string dir;
    bool keepCow;
    bool started = false;
    ~RemoveUnlessStarted() {
      if (started)
        return;
      std::error_code ec;
      if (!keepCow) {
        fs::remove_all(dir, ec);
        return;
      }
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename() != "cow")
          fs::remove_all(e.path(), ec);
    }
  } guard{plan->stateDir, reuseCow};

  const std::string binDir = runtime::guestBinDir(self);
  for (const lab::GuestPlan& g : plan->guests) {
    if (auto problem = kernel::checkCow(g.cowPath, g.basePath))
      throw CliFailure{*problem};
    try {
      runtime::writeConfigDisk(g, binDir);
    } catch (const std::system_error& e) {
      throw CliFailure{std::string("cannot write the config disk of node '") + g.name + "': " + e.what()};
    }
  }
  out << "lab '" << plan->lab << "': starting " << plan->switches.size() << " switch"
      << (plan->switches.size() == 1 ? "" : "es") << " and " << plan->guests.size() << " guest"
      << (plan->guests.size() == 1 ? "" : "s") << " (state in " << plan->stateDir << ")\n";
  out.flush();

  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0)
    throw CliFailure{std::string("pipe: ") + std::strerror(errno)};
  pid_t pid = ::fork();
  if (pid < 0)
    throw CliFailure{std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    ::close(pipeFds[0]);
    // The supervisor outlives this command: detach it from the terminal.
    int devnull = ::open("/dev/null", O_RDWR);
    int logFd = ::open(state.supervisorLog().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(devnull, 0);
    ::dup2(logFd >= 0 ? logFd : devnull, 1);
    ::dup2(logFd >= 0 ? logFd : devnull, 2);
    runtime::SupervisorOptions opts;
    opts.stateRoot = host.stateRoot;
    opts.bootTimeout = timeout;
    int status = 1;
    try {
      status = runtime::runSupervisor(*plan, opts, pipeFds[1]);
    } catch (const std::exception& e) {
      std::string msg = std::string("FAILED ") + e.what() + "\n";
      ssize_t ignored = ::write(pipeFds[1], msg.data(), msg.size());
      (void)ignored;
    }
    ::_exit(status);
  }
  ::close(pipeFds[1]);
  guard.started = true; // the supervisor owns the state directory now
  UniqueFd progress(pipeFds[0]);
  std::string buffer;
  char buf[4096];
  std::string failure;
  bool ready = false;
  for (;;) {
    ssize_t n = ::read(progress.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    buffer.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos && failure.empty()) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (line == "READY") {
        ready = true;
      } else if (line.rfind("FAILED ", 0) == 0) {
        failure = line.substr(7) + "\n" + buffer; // the reason may span lines
        buffer.clear();
      } else {
        out << "  " << line << "\n";
        out.flush();
      }
    }
    if (ready)
      break;
  }
  if (!failure.empty()) {
    // The failure text may go on (console tails): take the rest.
    failure += readAll(progress.get(), std::chrono::seconds(5));
    while (!failure.empty() && failure.back() == '\n')
      failure.pop_back();
    int status;
    ::waitpid(pid, &status, 0);
    err << "umlab: error: lab '" << plan->lab << "' failed to start: " << failure << "\n";
    err << "umlab: everything it started was stopped\n";
    return kExitInputError;
  }
  if (!ready) {
    int status;
    ::waitpid(pid, &status, WNOHANG);
    err << "umlab: error: the supervisor of lab '" << plan->lab << "' stopped unexpectedly; 'umlab clean " << plan->lab
        << "' removes what it left\n";
    return kExitHostFailure;
  }
  try {
    startPlannedReplays(*plan, stateRoot(self, a), out);
  } catch (const CliFailure& f) {
    err << "umlab: warning: " << f.message << "; the lab is up without it\n";
  }
  const double secs = std::chrono::duration<double>(Clock::now() - started).count();
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", secs);
  out << "lab '" << plan->lab << "' is up: " << plan->guests.size() << " guest" << (plan->guests.size() == 1 ? "" : "s")
      << " ready in " << t << " s\n";
  if (!plan->guests.empty())
    out << "try:  umlab exec " << plan->lab << " " << plan->guests.front().name << " -- ip -br addr\n"
        << "      umlab console " << plan->lab << " " << plan->guests.front().name << "      (login root/root)\n"
        << "      umlab down " << plan->lab << "\n";
  return kExitOk;
}

// ---- ps ------------------------------------------------------------------------------------

int cmdPs(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const std::string root = stateRoot(self, a);
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format must be 'text' or 'json', not '" + fmt + "'"};
  std::vector<std::string> labs = a.positional();
  for (const std::string& l : labs)
    requireLabName(l);
  if (labs.empty())
    labs = runtime::listLabs(root);
  if (fmt == "json")
    out << "[";
  bool first = true;
  int status = kExitOk;
  for (const std::string& name : labs) {
    LabState state(root, name);
    std::string text;
    if (state.liveSupervisor()) {
      try {
        UniqueFd fd = connectLab(state, "ps " + fmt);
        text = readAll(fd.get(), std::chrono::seconds(10));
      } catch (const CliFailure& f) {
        err << "umlab: error: " << f.message << "\n";
        status = kExitHostFailure;
        continue;
      }
    } else if (state.exists()) {
      text = fmt == "json" ? "{\"lab\": \"" + name + "\", \"state\": \"crashed\", \"stateDir\": \"" + state.dir() + "\"}\n"
                           : "lab " + name + ": not running; its supervisor is gone. 'umlab clean " + name +
                                 "' removes what it left\n";
    } else {
      err << "umlab: error: no lab named '" << name << "' is running\n";
      status = kExitInputError;
      continue;
    }
    if (fmt == "json") {
      while (!text.empty() && text.back() == '\n')
        text.pop_back();
      out << (first ? "\n" : ",\n") << text;
    } else {
      out << (first ? "" : "\n") << text;
    }
    first = false;
  }
  if (fmt == "json")
    out << (first ? "]\n" : "\n]\n");
  else if (first && status == kExitOk)
    out << "no labs are running (state directory " << root << ")\n";
  return status;
}

// ---- exec ----------------------------------------------------------------------------------

/// What a command run through a guest's agent did.
struct AgentExec {
  bool ended = false;  ///< an exit status arrived (false: the connection broke first)
  int exitCode = -1;
  int startError = 0;  ///< errno when the command could not be started
  bool killed = false; ///< the timeout ran out and SIGKILL was sent
};

/// Runs `argv` through an exec connection to the supervisor (`fd`, already accepted): sends the
/// request, passes stdout and stderr to the callbacks, forwards `stdinFd` (-1: none) and kills
/// the command after `timeout` (0: no limit). Shared by `umlab exec` and `execInGuest`.
AgentExec runAgentExec(int fd, const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::function<void(const std::string&)>& onStdout,
                       const std::function<void(const std::string&)>& onStderr, int stdinFd) {
  AgentExec r;
  agent::ExecRequest req;
  req.argv = argv;
  req.hasStdin = stdinFd >= 0;
  std::string frames;
  agent::encodeFrame({agent::FrameType::Exec, 1, agent::encodeExecRequest(req)}, frames);
  if (!writeAll(fd, frames))
    return r;
  agent::FrameDecoder decoder;
  bool stdinOpen = stdinFd >= 0;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stdinFd, static_cast<short>(stdinOpen ? POLLIN : 0), 0}};
    int wait = 500;
    if (timeout.count() > 0 && !r.killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        std::string sig;
        agent::encodeFrame({agent::FrameType::Signal, 1, std::string(1, static_cast<char>(SIGKILL))}, sig);
        writeAll(fd, sig);
        r.killed = true;
        continue;
      }
      wait = static_cast<int>(std::min<long long>(left, 500));
    }
    int n = ::poll(p, stdinOpen ? 2 : 1, wait);
    if (n < 0 && errno != EINTR)
      return r;
    if (stdinOpen && (p[1].revents & (POLLIN | POLLHUP))) {
      ssize_t got = ::read(stdinFd, buf, agent::kMaxPayload < sizeof buf ? agent::kMaxPayload : sizeof buf);
      std::string frame;
      agent::encodeFrame({agent::FrameType::Stdin, 1, got > 0 ? std::string(buf, static_cast<size_t>(got)) : ""}, frame);
      writeAll(fd, frame);
      if (got <= 0)
        stdinOpen = false;
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return r;
    decoder.feed(std::span<const char>(buf, static_cast<size_t>(got)));
    while (auto f = decoder.next()) {
      if (f->type == agent::FrameType::Stdout)
        onStdout(f->payload);
      else if (f->type == agent::FrameType::Stderr)
        onStderr(f->payload);
      else if (f->type == agent::FrameType::Exit) {
        auto st = agent::decodeExitStatus(f->payload);
        if (!st)
          return r;
        r.ended = true;
        r.startError = static_cast<int>(st->startError);
        r.exitCode = st->code;
        return r;
      }
    }
  }
}

int cmdExec(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() < 3)
    throw CliUsageError{"exec needs a lab, a node and a command, as in 'umlab exec lan pc1 -- ping -c1 10.0.0.2'"};
  requireLabName(pos[0]);
  std::chrono::milliseconds timeout(0);
  if (auto v = a.get("--timeout")) {
    auto d = parseDuration(*v);
    if (!d)
      throw CliUsageError{"--timeout needs a duration such as '30s', not '" + *v + "'"};
    timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  LabState state(stateRoot(self, a), pos[0]);
  UniqueFd fd = connectLab(state, "exec " + pos[1]);
  expectOk(fd.get(), pos[0]);
  const std::vector<std::string> argv(pos.begin() + 2, pos.end());
  out.flush();
  AgentExec e = runAgentExec(fd.get(), argv, timeout, [](const std::string& d) { writeAll(1, d); },
                             [](const std::string& d) { writeAll(2, d); },
                             a.has("-i") || a.has("--interactive") ? 0 : -1);
  if (!e.ended) {
    err << "umlab: error: lost the connection to lab '" << pos[0] << "' before the command ended\n";
    return kExitHostFailure;
  }
  if (e.startError != 0) {
    err << "umlab: error: cannot run '" << argv[0] << "' in node '" << pos[1] << "': " << std::strerror(e.startError) << "\n";
    return e.startError == ENOENT ? 127 : 126;
  }
  if (e.killed) {
    err << "umlab: error: '" << argv[0] << "' in node '" << pos[1] << "' timed out after " << formatDuration(timeout)
        << " and was killed\n";
    return 124;
  }
  return e.exitCode;
}

// ---- console -------------------------------------------------------------------------------

int cmdConsole(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"console needs a lab and a node, as in 'umlab console lan pc1'"};
  requireLabName(pos[0]);
  LabState state(stateRoot(self, a), pos[0]);
  UniqueFd fd = connectLab(state, "console " + pos[1]);
  expectOk(fd.get(), pos[0]);
  const bool tty = ::isatty(0);
  out << "connected to the console of " << pos[1] << " in lab " << pos[0]
      << "; press Enter for a login prompt (root/root), Ctrl-] to leave\r\n";
  out.flush();
  struct RawMode {
    termios saved{};
    bool active = false;
    void enter() {
      if (::tcgetattr(0, &saved) != 0)
        return;
      termios raw = saved;
      ::cfmakeraw(&raw);
      active = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
    ~RawMode() {
      if (active)
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
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0)
        break;
      writeAll(1, std::string(buf, static_cast<size_t>(n)));
    }
    if (stdinOpen && (p[1].revents & (POLLIN | POLLHUP))) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) {
        stdinOpen = false;
        if (!tty)
          break;
        continue;
      }
      std::string data(buf, static_cast<size_t>(n));
      if (size_t at = data.find('\x1d'); at != std::string::npos) {
        writeAll(fd.get(), data.substr(0, at));
        break;
      }
      writeAll(fd.get(), data);
    }
  }
  (void)err;
  out << "\r\nleft the console of " << pos[1] << "\n";
  return kExitOk;
}

// ---- down and clean ------------------------------------------------------------------------

/// Stops what a lab without a supervisor left: its recorded process groups, then its files.
size_t cleanLeftovers(const LabState& state) {
  size_t stopped = 0;
  for (const runtime::ProcessEntry& e : state.processes())
    if (runtime::signalIfSame(e.pid, e.startTime, SIGKILL))
      ++stopped;
  std::error_code ec;
  fs::remove_all(state.dir(), ec);
  return stopped;
}

int downLab(const LabState& state, bool keep, std::ostream& out) {
  if (!state.liveSupervisor()) {
    size_t n = cleanLeftovers(state);
    out << "lab '" << state.lab() << "' was not running; removed what it left (" << n << " process group"
        << (n == 1 ? "" : "s") << " stopped)\n";
    return kExitOk;
  }
  const auto sup = state.liveSupervisor();
  UniqueFd fd = connectLab(state, keep ? "down keep" : "down");
  readAll(fd.get(), std::chrono::seconds(60));
  // The supervisor exits right after answering; make sure, then check nothing is left.
  for (int i = 0; i < 100 && sup && runtime::processStartTime(sup->pid) == sup->startTime; ++i)
    ::usleep(20000);
  if (sup && runtime::processStartTime(sup->pid) == sup->startTime)
    runtime::signalIfSame(sup->pid, sup->startTime, SIGKILL);
  size_t leftover = 0;
  for (const runtime::ProcessEntry& e : state.processes())
    if (runtime::signalIfSame(e.pid, e.startTime, SIGKILL))
      ++leftover;
  if (!keep) {
    std::error_code ec;
    fs::remove_all(state.dir(), ec);
  }
  out << "lab '" << state.lab() << "' is down" << (keep ? "; COW files kept in " + state.dir() + "/cow" : "")
      << (leftover ? " (" + std::to_string(leftover) + " stray process groups stopped)" : "") << "\n";
  return kExitOk;
}

int cmdDown(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().empty())
    throw CliUsageError{"down needs the name of a lab, as in 'umlab down lan'; 'umlab ps' lists them"};
  int status = kExitOk;
  for (const std::string& name : a.positional()) {
    requireLabName(name);
    LabState state(stateRoot(self, a), name);
    if (!state.exists()) {
      err << "umlab: error: no lab named '" << name << "' is running; 'umlab ps' lists the running labs\n";
      status = kExitInputError;
      continue;
    }
    downLab(state, a.has("--keep"), out);
  }
  return status;
}

int cmdClean(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const std::string root = stateRoot(self, a);
  std::vector<std::string> labs = a.positional();
  const bool named = !labs.empty();
  for (const std::string& l : labs)
    requireLabName(l);
  if (!named)
    labs = runtime::listLabs(root);
  size_t cleaned = 0;
  for (const std::string& name : labs) {
    LabState state(root, name);
    if (!state.exists()) {
      err << "umlab: error: there is nothing of lab '" << name << "' to clean\n";
      continue;
    }
    if (state.liveSupervisor()) {
      if (named) {
        downLab(state, false, out);
        ++cleaned;
      } else {
        out << "lab '" << name << "' is running; 'umlab down " << name << "' stops it\n";
      }
      continue;
    }
    size_t n = cleanLeftovers(state);
    out << "lab '" << name << "': removed its state" << (n ? " and stopped " + std::to_string(n) + " process group(s)" : "")
        << "\n";
    ++cleaned;
  }
  if (cleaned == 0 && !named)
    out << "nothing to clean\n";
  return kExitOk;
}

} // namespace

std::string stateRootFor(const std::string& self, const CliArgs& a) {
  if (auto v = a.get("--state-dir"))
    return *v;
  return lab::hostLayoutFromEnvironment(self).stateRoot;
}

GuestExec execInGuest(const std::string& stateRootDir, const std::string& lab, const std::string& node,
                      const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  constexpr size_t kMaxKept = 1 << 20;
  GuestExec r;
  LabState state(stateRootDir, lab);
  UniqueFd fd;
  try {
    fd = connectLab(state, "exec " + node);
    expectOk(fd.get(), lab);
  } catch (const CliFailure& f) {
    r.err = f.message;
    return r;
  }
  AgentExec e = runAgentExec(
      fd.get(), argv, timeout, [&](const std::string& d) { r.out.append(d, 0, kMaxKept - std::min(kMaxKept, r.out.size())); },
      [&](const std::string& d) { r.err.append(d, 0, kMaxKept - std::min(kMaxKept, r.err.size())); }, -1);
  if (!e.ended) {
    r.err += "lost the connection to lab '" + lab + "' before the command ended";
  } else if (e.startError != 0) {
    r.err += "cannot run '" + argv.front() + "': " + std::strerror(e.startError);
    r.exitCode = e.startError == ENOENT ? 127 : 126;
  } else if (e.killed) {
    r.err += "timed out after " + formatDuration(timeout) + " and was killed";
    r.exitCode = 124;
  } else {
    r.exitCode = e.exitCode;
  }
  return r;
}

const char* const kUpHelp =
    "usage: umlab up [options] FILE\n"
    "\n"
    "Boot the lab in FILE: one UML guest per node, each on its own copy-on-write file over the\n"
    "shared base image, and a switch per switch or hub segment, all in the lab's own network\n"
    "namespace. Returns when every guest's agent answers; the lab keeps running afterwards.\n"
    "Needs root and a base image ('umlab image build').\n"
    "\n"
    "options:\n"
    "  --timeout D        give up when a guest is not ready after D (default 180s)\n"
    "  --startup-dir DIR  NODE.startup files in DIR replace those nodes' startup commands\n"
    "                     (a variant of the lab, e.g. a student's)\n"
    "  --state-dir DIR    keep the lab's state under DIR (default $UMLAB_STATE_DIR, else\n"
    "                     $XDG_RUNTIME_DIR/umlab, else /run/umlab for root)\n"
    "  -h, --help         show this help\n";

const char* const kPsHelp =
    "usage: umlab ps [options] [LAB...]\n"
    "\n"
    "Show the running labs: each node's state (booting, ready, dead), pid, uptime, memory and\n"
    "interfaces, and each switch.\n"
    "\n"
    "options:\n"
    "  --format text|json   output format (default text)\n"
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
    "  -h, --help         show this help\n";

const char* const kConsoleHelp =
    "usage: umlab console [options] LAB NODE\n"
    "\n"
    "Attach to NODE's main console (a login prompt: root/root). Ctrl-] leaves; the guest keeps\n"
    "running.\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

const char* const kDownHelp =
    "usage: umlab down [options] LAB...\n"
    "\n"
    "Stop a lab: every guest and switch is stopped and reaped, and its sockets, COW files and\n"
    "state are removed.\n"
    "\n"
    "options:\n"
    "  --keep             keep the guests' COW files (in the state directory's cow/)\n"
    "  --state-dir DIR    where labs keep their state\n"
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
    "  -h, --help         show this help\n";

int runRuntimeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err) {
  struct Spec {
    const char* help;
    std::vector<std::string> flags;
    std::vector<std::string> options;
    int (*run)(const std::string&, const CliArgs&, std::ostream&, std::ostream&);
  };
  static const std::map<std::string, Spec> specs{
      {"up", {kUpHelp, {"-h", "--help"}, {"--timeout", "--state-dir", "--startup-dir"}, cmdUp}},
      {"ps", {kPsHelp, {"-h", "--help"}, {"--format", "--state-dir"}, cmdPs}},
      {"exec", {kExecHelp, {"-h", "--help", "-i", "--interactive"}, {"--timeout", "--state-dir"}, cmdExec}},
      {"console", {kConsoleHelp, {"-h", "--help"}, {"--state-dir"}, cmdConsole}},
      {"down", {kDownHelp, {"-h", "--help", "--keep"}, {"--state-dir"}, cmdDown}},
      {"clean", {kCleanHelp, {"-h", "--help"}, {"--state-dir"}, cmdClean}},
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
  try {
    return spec.run(self, a, out, err);
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return kExitInputError;
  }
}

const char* runtimeHelp(const std::string& command) {
  static const std::map<std::string, const char*> h{{"up", kUpHelp},     {"ps", kPsHelp},     {"exec", kExecHelp},
                                                      {"console", kConsoleHelp}, {"down", kDownHelp}, {"clean", kCleanHelp}};
  auto it = h.find(command);
  return it == h.end() ? nullptr : it->second;
}

} // namespace umlab::cli
