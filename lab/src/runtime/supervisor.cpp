#include "umlab/lab/runtime/supervisor.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/network_namespace.hpp"
#include "umlab/lab/runtime/process_info.hpp"
#include "umlab/lab/runtime/spawn.hpp"
#include "umlab/lab/runtime/switch_admin.hpp"
#include "umlab/lab/runtime/tap_device.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <poll.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

namespace fs = std::filesystem;
namespace agent = umlab::kernel::agent;
using Clock = std::chrono::steady_clock;

constexpr size_t kClientOutputLimit = 8u << 20; // pause a guest's agent output beyond this

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Writes as much of `buf` as the fd takes now; false when the peer is gone.
bool flush(int fd, std::string& buf) {
  while (!buf.empty()) {
    ssize_t n = ::write(fd, buf.data(), buf.size());
    if (n > 0) {
      buf.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

std::string lastLines(const std::string& path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
    if (lines.size() > count)
      lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines)
    out += "    " + l + "\n";
  return out;
}

struct Guest {
  const GuestPlan* plan = nullptr;
  ProcessGroup process;
  UniqueFd agentFd;
  UniqueFd consoleFd;
  UniqueFd logFd;
  agent::FrameDecoder decoder;
  std::string agentOut;
  std::string consoleOut;
  enum class State { Booting, Ready, Dead } state = State::Booting;
  int exitStatus = 0;
  Clock::time_point startedAt;
  Clock::time_point readyAt;
  uint32_t nextId = 1;
  /// agent request id -> (client key, the client's own id)
  std::map<uint32_t, std::pair<int, uint32_t>> routes;
};

struct Switch {
  const SwitchPlan* plan = nullptr;
  ProcessGroup process;
  bool alive = false;
};

struct Client {
  UniqueFd fd;
  std::string in;
  std::string out;
  enum class Mode { Request, Exec, Console, Down } mode = Mode::Request;
  int guest = -1;
  agent::FrameDecoder decoder;
  std::map<uint32_t, uint32_t> toAgent; ///< the client's id -> the agent's id
  bool closeWhenFlushed = false;
};

class Supervisor {
public:
  Supervisor(const LaunchPlan& plan, const SupervisorOptions& options, int progressFd)
      : plan_(plan), options_(options), progress_(progressFd), state_(options.stateRoot, plan.lab) {}

  int run() {
    try {
      prepare();
      startSwitches();
      createTaps();
      startGuests();
    } catch (const std::exception& e) {
      fail(e.what());
      return 1;
    }
    loop();
    return failed_ ? 1 : 0;
  }

private:
  // ---- progress to `umlab up` ---------------------------------------------------------------

  void say(const std::string& line) {
    log(line);
    if (progress_.isValid()) {
      std::string l = line + "\n";
      if (::write(progress_.get(), l.data(), l.size()) < 0)
        progress_.reset(); // `up` went away: keep running, quietly
    }
  }

  void log(const std::string& line) {
    std::ofstream out(state_.supervisorLog(), std::ios::app);
    out << line << "\n";
  }

  void fail(const std::string& why) {
    failed_ = true;
    say("FAILED " + why);
    progress_.reset();
    teardown(false);
  }

  // ---- start ------------------------------------------------------------------------------

  void prepare() {
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::umask(077);
    enterLabNetworkNamespace();
    if (options_.confine) {
      // The lab's uid owns its state: UML creates COW files and sockets there.
      std::error_code ec;
      ::chown(plan_.stateDir.c_str(), uid_, uid_);
      for (const auto& e : fs::recursive_directory_iterator(plan_.stateDir, ec))
        if (::lchown(e.path().c_str(), uid_, uid_) != 0)
          throw std::system_error(errno, std::generic_category(), "chown " + e.path().string());
    }
    state_.appendProcess({"supervisor", plan_.lab, ::getpid(), processStartTime(::getpid())});

    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP})
      sigaddset(&mask, s);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    signals_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    ::signal(SIGPIPE, SIG_IGN);

    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = state_.controlSocket();
    std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
    ::unlink(path.c_str());
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_.get(), 64) != 0)
      throw std::system_error(errno, std::generic_category(), "bind " + path);
  }

  UniqueFd openLog(const std::string& path) {
    return UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  }

  void startSwitches() {
    for (const SwitchPlan& sp : plan_.switches) {
      Switch sw;
      sw.plan = &sp;
      UniqueFd log = openLog(plan_.stateDir + "/log/switch-" + sp.segment + ".log");
      UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      SpawnOptions o;
      Jail jail;
      if (options_.confine) {
        jail = jailFor("switch-" + sp.segment, {sp.argv.front()});
        o.jail = &jail;
      }
      o.argv = sp.argv; // umlab-switchd --ctl ... [--hub] --admin ..., as planned
      o.fds = {{0, devnull.get()}, {1, log.get()}, {2, log.get()}};
      sw.process = ProcessGroup(spawnProcess(o));
      sw.alive = true;
      state_.appendProcess({"switch", sp.segment, sw.process.pid(), sw.process.startTime()});
      // The guests connect at boot, so the sockets must exist first. umlab-switchd makes its
      // admin socket last, after the control, monitor and bess sockets and after joining its
      // uplinks.
      const std::string& lastSocket = sp.adminPath.empty() ? sp.ctlPath : sp.adminPath;
      const auto deadline = Clock::now() + std::chrono::seconds(5);
      struct stat st {};
      while (::stat(lastSocket.c_str(), &st) != 0) {
        int status;
        if (::waitpid(sw.process.pid(), &status, WNOHANG) == sw.process.pid()) {
          sw.process.markReaped(status);
          throw std::runtime_error("switch '" + sp.segment + "' exited at start:\n" +
                                   lastLines(plan_.stateDir + "/log/switch-" + sp.segment + ".log", 10));
        }
        if (Clock::now() > deadline)
          throw std::runtime_error("switch '" + sp.segment + "' did not create " + lastSocket + " within 5 s");
        ::usleep(10000);
      }
      say("switch " + sp.segment + " up");
      switches_.push_back(std::move(sw));
    }
  }

  /// The host ends of `host` links: persistent taps in the lab's namespace that the (unprivileged)
  /// guests may attach to (tap_device.hpp).
  void createTaps() {
    for (const TapPlan& t : plan_.taps) {
      taps_.emplace_back(t.device, uid_, uid_);
      say("tap " + t.device + " up (for " + t.interface + ")");
    }
  }

  void startGuests() {
    guests_.reserve(plan_.guests.size());
    for (const GuestPlan& gp : plan_.guests) {
      Guest g;
      g.plan = &gp;
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
      g.agentFd.reset(pair[0]);
      UniqueFd guestEnd(pair[1]);
      g.consoleFd.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!g.consoleFd || ::grantpt(g.consoleFd.get()) != 0 || ::unlockpt(g.consoleFd.get()) != 0)
        throw std::system_error(errno, std::generic_category(), "allocate a pty for the console of '" + gp.name + "'");
      UniqueFd slave(::open(::ptsname(g.consoleFd.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!slave)
        throw std::system_error(errno, std::generic_category(), "open the console pty of '" + gp.name + "'");
      g.logFd = openLog(gp.logPath);
      SpawnOptions o;
      o.argv = gp.argv;
      o.fds = {{0, slave.get()}, {1, slave.get()}, {2, g.logFd.get()}, {3, guestEnd.get()}};
      // Links to the host: the guest inherits a descriptor attached to its tap (tap_device.hpp).
      std::vector<UniqueFd> tapFds;
      for (const InterfacePlan& i : gp.interfaces) {
        if (i.tapFd < 0)
          continue;
        auto tap = std::find_if(taps_.begin(), taps_.end(), [&](const TapDevice& t) { return t.name() == i.tapDevice; });
        if (tap == taps_.end())
          throw std::runtime_error("no tap device " + i.tapDevice + " for " + gp.name + ":" + i.name);
        tapFds.push_back(tap->openForGuest());
        o.fds.push_back({i.tapFd, tapFds.back().get()});
      }
      o.noAslr = true;
      o.newPidNamespace = true; // UML's helpers die with it
      o.env = {"TMPDIR=/tmp"}; // UML's memory file: the jail's private tmpfs
      Jail jail;
      if (options_.confine) {
        std::error_code ec;
        fs::path base = fs::canonical(gp.basePath, ec);
        jail = jailFor(gp.name, {ec ? gp.basePath : base.parent_path().string(), gp.argv.front()});
        o.jail = &jail;
        // Inside the jail only the image's real directory exists, not the symlink to it.
        for (std::string& arg : o.argv)
          if (arg.rfind("ubd0=", 0) == 0) {
            std::error_code ec;
            fs::path base = fs::canonical(gp.basePath, ec);
            if (!ec)
              arg = "ubd0=" + gp.cowPath + "," + base.string();
          }
      }
      g.startedAt = Clock::now();
      g.process = ProcessGroup(spawnProcess(o));
      setNonBlocking(g.agentFd.get());
      setNonBlocking(g.consoleFd.get());
      state_.appendProcess({"guest", gp.name, g.process.pid(), g.process.startTime()});
      say("guest " + gp.name + " booting");
      guests_.push_back(std::move(g));
    }
  }

  /// What a lab process may see (see the header's confinement note): the system's programs
  /// and libraries read-only, a few device nodes, the lab's state directory, private tmpfs, and
  /// `extra` paths read-only (the base image's directory, the kernel when outside /usr).
  Jail jailFor(const std::string& name, const std::vector<std::string>& extra) {
    Jail j;
    j.root = plan_.stateDir + "/jail/" + name;
    fs::create_directories(j.root);
    j.uid = uid_;
    j.gid = uid_;
    for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache"})
      j.binds.push_back({p, false});
    for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})
      j.binds.push_back({dev, true});
    for (const std::string& p : extra) {
      std::error_code ec;
      fs::path real = fs::canonical(p, ec);
      const std::string path = ec ? p : real.string();
      if (path.rfind("/usr/", 0) != 0)
        j.binds.push_back({path, false});
    }
    j.binds.push_back({plan_.stateDir, true});
    j.tmpfs = {"/tmp", "/dev/shm"};
    return j;
  }

  // ---- the loop ---------------------------------------------------------------------------

  void loop() {
    while (!done_) {
      std::vector<pollfd> fds;
      std::vector<std::function<void(short)>> handlers;
      auto add = [&](int fd, short events, std::function<void(short)> h) {
        fds.push_back(pollfd{fd, events, 0});
        handlers.push_back(std::move(h));
      };
      add(signals_.get(), POLLIN, [&](short) { onSignal(); });
      add(listener_.get(), POLLIN, [&](short) { onAccept(); });
      for (size_t i = 0; i < guests_.size(); ++i) {
        Guest& g = guests_[i];
        if (g.agentFd) {
          short ev = (agentBackpressure(i) ? 0 : POLLIN) | (g.agentOut.empty() ? 0 : POLLOUT);
          add(g.agentFd.get(), ev, [this, i](short r) { onAgent(i, r); });
        }
        if (g.consoleFd)
          add(g.consoleFd.get(), static_cast<short>(POLLIN | (g.consoleOut.empty() ? 0 : POLLOUT)),
              [this, i](short r) { onConsole(i, r); });
      }
      for (auto& [key, c] : clients_)
        add(c.fd.get(), static_cast<short>((c.closeWhenFlushed ? 0 : POLLIN) | (c.out.empty() ? 0 : POLLOUT)),
            [this, k = key](short r) { onClient(k, r); });
      int n = ::poll(fds.data(), fds.size(), 250);
      if (n < 0 && errno != EINTR)
        break;
      for (size_t i = 0; i < fds.size() && !done_; ++i)
        if (fds[i].revents)
          handlers[i](fds[i].revents);
      reapClosedClients();
      checkReadiness();
    }
  }

  bool agentBackpressure(size_t guest) const {
    for (const auto& [id, route] : guests_[guest].routes)
      if (auto it = clients_.find(route.first); it != clients_.end() && it->second.out.size() > kClientOutputLimit)
        return true;
    return false;
  }

  void onSignal() {
    signalfd_siginfo si;
    while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGCHLD)
        reapChildren();
      else {
        log("signal " + std::to_string(si.ssi_signo) + ": stopping the lab");
        teardown(false);
      }
    }
  }

  void reapChildren() {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0)
        return;
      for (size_t i = 0; i < guests_.size(); ++i) {
        Guest& g = guests_[i];
        if (g.process.pid() != pid)
          continue;
        g.process.markReaped(status);
        ::kill(-pid, SIGKILL); // UML's helpers, if the leader left them behind
        const bool wasReady = g.state == Guest::State::Ready;
        g.state = Guest::State::Dead;
        g.exitStatus = status;
        const std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                    : "exited with status " + std::to_string(WEXITSTATUS(status));
        log("guest " + g.plan->name + " " + how);
        drainConsole(i); // what it printed last may still sit in the pty
        failRequests(i, "node '" + g.plan->name + "' stopped");
        if (!wasReady && !ready_)
          fail("guest '" + g.plan->name + "' " + how + " before it was ready; the end of its console log (" +
               g.plan->logPath + "):\n" + lastLines(g.plan->logPath, 15));
      }
      for (Switch& sw : switches_)
        if (sw.process.pid() == pid) {
          sw.process.markReaped(status);
          sw.alive = false;
          log("switch " + sw.plan->segment + " exited");
        }
    }
  }

  void checkReadiness() {
    if (ready_ || failed_ || done_)
      return;
    bool all = true;
    for (const Guest& g : guests_) {
      if (g.state == Guest::State::Booting &&
          Clock::now() - g.startedAt > std::chrono::duration_cast<Clock::duration>(options_.bootTimeout)) {
        fail("guest '" + g.plan->name + "' did not answer within " + std::to_string(options_.bootTimeout.count()) +
             " s; the end of its console log (" + g.plan->logPath + "):\n" + lastLines(g.plan->logPath, 15));
        return;
      }
      all = all && g.state == Guest::State::Ready;
    }
    if (all) {
      ready_ = true;
      say("READY");
      progress_.reset();
    }
  }

  // ---- guests -----------------------------------------------------------------------------

  void drainConsole(size_t i) {
    Guest& g = guests_[i];
    for (int rounds = 0; g.consoleFd && rounds < 64; ++rounds) {
      pollfd p{g.consoleFd.get(), POLLIN, 0};
      if (::poll(&p, 1, rounds == 0 ? 50 : 0) <= 0 || !(p.revents & POLLIN))
        break;
      onConsole(i, POLLIN);
    }
  }

  void onConsole(size_t i, short revents) {
    Guest& g = guests_[i];
    if (revents & POLLOUT)
      flush(g.consoleFd.get(), g.consoleOut);
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[16384];
    ssize_t n = ::read(g.consoleFd.get(), buf, sizeof buf);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // EIO once the guest has gone: nothing more will come.
        if (g.state == Guest::State::Dead)
          g.consoleFd.reset();
      }
      return;
    }
    if (::write(g.logFd.get(), buf, static_cast<size_t>(n)) < 0) {
      // A full disk must not stop the lab; the console still reaches attached clients.
    }
    for (auto& [key, c] : clients_)
      if (c.mode == Client::Mode::Console && c.guest == static_cast<int>(i) && c.out.size() < kClientOutputLimit)
        c.out.append(buf, static_cast<size_t>(n));
  }

  void onAgent(size_t i, short revents) {
    Guest& g = guests_[i];
    if (revents & POLLOUT)
      flush(g.agentFd.get(), g.agentOut);
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[65536];
    ssize_t n = ::read(g.agentFd.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      g.agentFd.reset();
      return;
    }
    if (n < 0)
      return;
    g.decoder.feed(std::span<const char>(buf, static_cast<size_t>(n)));
    while (auto f = g.decoder.next()) {
      if (f->type == agent::FrameType::Hello) {
        if (g.state == Guest::State::Booting) {
          g.state = Guest::State::Ready;
          g.readyAt = Clock::now();
          char secs[32];
          std::snprintf(secs, sizeof secs, "%.1f",
                        std::chrono::duration<double>(g.readyAt - g.startedAt).count());
          say("guest " + g.plan->name + " ready (" + secs + " s)");
        }
        continue;
      }
      auto route = g.routes.find(f->id);
      if (route == g.routes.end())
        continue;
      auto client = clients_.find(route->second.first);
      const uint32_t clientId = route->second.second;
      if (f->type == agent::FrameType::Exit)
        g.routes.erase(route);
      if (client == clients_.end())
        continue;
      f->id = clientId;
      agent::encodeFrame(*f, client->second.out);
      if (f->type == agent::FrameType::Exit)
        client->second.toAgent.erase(clientId);
    }
  }

  /// Ends every exec request on guest `i` with an error, e.g. when the guest died.
  void failRequests(size_t i, const std::string& why) {
    Guest& g = guests_[i];
    for (const auto& [agentId, route] : g.routes) {
      auto c = clients_.find(route.first);
      if (c == clients_.end())
        continue;
      agent::encodeFrame({agent::FrameType::Stderr, route.second, "umlab: " + why + "\n"}, c->second.out);
      agent::ExitStatus st;
      st.code = 255;
      agent::encodeFrame({agent::FrameType::Exit, route.second, agent::encodeExitStatus(st)}, c->second.out);
    }
    g.routes.clear();
  }

  // ---- clients ----------------------------------------------------------------------------

  void onAccept() {
    for (;;) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      Client c;
      c.fd.reset(fd);
      clients_.emplace(nextClient_++, std::move(c));
    }
  }

  void onClient(int key, short revents) {
    auto it = clients_.find(key);
    if (it == clients_.end())
      return;
    Client& c = it->second;
    if (revents & POLLOUT) {
      if (!flush(c.fd.get(), c.out)) {
        dropClient(key);
        return;
      }
    }
    if (c.closeWhenFlushed && c.out.empty()) {
      dropClient(key);
      return;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[65536];
    ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      dropClient(key);
      return;
    }
    if (n < 0)
      return;
    switch (c.mode) {
    case Client::Mode::Request:
      c.in.append(buf, static_cast<size_t>(n));
      if (size_t nl = c.in.find('\n'); nl != std::string::npos) {
        std::string line = c.in.substr(0, nl);
        std::string rest = c.in.substr(nl + 1);
        c.in.clear();
        handleRequest(key, line, rest);
      } else if (c.in.size() > 4096) {
        dropClient(key);
      }
      break;
    case Client::Mode::Exec:
      relayToAgent(key, std::span<const char>(buf, static_cast<size_t>(n)));
      break;
    case Client::Mode::Console: {
      Guest& g = guests_[static_cast<size_t>(c.guest)];
      if (g.consoleFd && g.consoleOut.size() < (1u << 20))
        g.consoleOut.append(buf, static_cast<size_t>(n));
      break;
    }
    case Client::Mode::Down:
      break;
    }
  }

  void dropClient(int key) {
    auto it = clients_.find(key);
    if (it == clients_.end())
      return;
    // Stop what the client started: its commands would otherwise run on unseen.
    if (it->second.mode == Client::Mode::Exec && it->second.guest >= 0) {
      Guest& g = guests_[static_cast<size_t>(it->second.guest)];
      for (const auto& [clientId, agentId] : it->second.toAgent)
        if (g.agentFd)
          agent::encodeFrame({agent::FrameType::Signal, agentId, std::string(1, static_cast<char>(SIGKILL))}, g.agentOut);
    }
    closing_.push_back(key);
  }

  void reapClosedClients() {
    for (int key : closing_)
      clients_.erase(key);
    closing_.clear();
  }

  int findGuest(const std::string& name) const {
    for (size_t i = 0; i < guests_.size(); ++i)
      if (guests_[i].plan->name == name)
        return static_cast<int>(i);
    return -1;
  }

  void handleRequest(int key, const std::string& line, const std::string& rest) {
    Client& c = clients_.at(key);
    std::istringstream words(line);
    std::string verb, arg;
    words >> verb >> arg;
    if (verb == "ps") {
      c.out = arg == "json" ? psJson() : psText();
      c.closeWhenFlushed = true;
      return;
    }
    if (verb == "exec" || verb == "console") {
      int g = findGuest(arg);
      std::string problem;
      if (g < 0)
        problem = "lab '" + plan_.lab + "' has no node '" + arg + "'";
      else if (guests_[static_cast<size_t>(g)].state == Guest::State::Dead)
        problem = "node '" + arg + "' is not running (it stopped; see " + guests_[static_cast<size_t>(g)].plan->logPath + ")";
      else if (verb == "exec" && guests_[static_cast<size_t>(g)].state == Guest::State::Booting)
        problem = "node '" + arg + "' is still booting";
      if (!problem.empty()) {
        c.out = "error " + problem + "\n";
        c.closeWhenFlushed = true;
        return;
      }
      c.guest = g;
      c.out = "ok\n";
      if (verb == "exec") {
        c.mode = Client::Mode::Exec;
        if (!rest.empty())
          relayToAgent(key, std::span<const char>(rest.data(), rest.size()));
      } else {
        c.mode = Client::Mode::Console;
        if (!rest.empty())
          guests_[static_cast<size_t>(g)].consoleOut += rest;
      }
      return;
    }
    if (verb == "down") {
      c.mode = Client::Mode::Down;
      log("down requested" + std::string(arg == "keep" ? " (keeping COW files)" : ""));
      teardown(arg == "keep");
      return;
    }
    c.out = "error unknown request '" + verb + "'\n";
    c.closeWhenFlushed = true;
  }

  void relayToAgent(int key, std::span<const char> bytes) {
    Client& c = clients_.at(key);
    Guest& g = guests_[static_cast<size_t>(c.guest)];
    c.decoder.feed(bytes);
    while (auto f = c.decoder.next()) {
      if (f->type == agent::FrameType::Exec) {
        const uint32_t agentId = g.nextId++;
        c.toAgent[f->id] = agentId;
        g.routes[agentId] = {key, f->id};
        f->id = agentId;
      } else if (f->type == agent::FrameType::Stdin || f->type == agent::FrameType::Signal) {
        auto it = c.toAgent.find(f->id);
        if (it == c.toAgent.end())
          continue;
        f->id = it->second;
      } else {
        continue; // clients only start, feed and signal commands
      }
      if (g.agentFd)
        agent::encodeFrame(*f, g.agentOut);
      else
        failRequests(static_cast<size_t>(c.guest), "node '" + g.plan->name + "' lost its agent channel");
    }
  }

  // ---- status -----------------------------------------------------------------------------

  static std::string stateName(const Guest& g) {
    switch (g.state) {
    case Guest::State::Booting: return "booting";
    case Guest::State::Ready: return "ready";
    case Guest::State::Dead:
      return WIFSIGNALED(g.exitStatus) ? "dead (signal " + std::to_string(WTERMSIG(g.exitStatus)) + ")"
                                        : "dead (exit " + std::to_string(WEXITSTATUS(g.exitStatus)) + ")";
    }
    return "?";
  }

  static std::string uptime(const Guest& g) {
    if (g.state == Guest::State::Dead)
      return "-";
    return formatDuration(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - g.startedAt));
  }

  /// The switch's own counters, from its admin socket: ports, frames in and out (summed over
  /// ports), frames dropped, and the ports with link conditions. Empty when the switch does not
  /// answer within a moment.
  struct SwitchCounters {
    bool valid = false;
    uint64_t ports = 0, rxFrames = 0, txFrames = 0, drops = 0;
    std::vector<std::string> conditions; ///< "b:eth0 in=delay:25ms out=delay:25ms"
  };

  static SwitchCounters switchCounters(const SwitchPlan& sp) {
    SwitchCounters c;
    const AdminReply reply = switchAdmin(sp.adminPath, "show ports", std::chrono::milliseconds(300));
    if (!reply.ok)
      return c;
    std::istringstream lines(reply.text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("port ", 0) != 0)
        continue;
      ++c.ports;
      std::istringstream words(line);
      std::string name, in, out;
      for (std::string w; words >> w;) {
        size_t eq = w.find('=');
        if (eq == std::string::npos)
          continue;
        const std::string key = w.substr(0, eq);
        const std::string value = w.substr(eq + 1);
        const uint64_t v = std::strtoull(value.c_str(), nullptr, 10);
        if (key == "rx_frames")
          c.rxFrames += v;
        else if (key == "tx_frames")
          c.txFrames += v;
        else if (key.rfind("drop_", 0) == 0)
          c.drops += v;
        else if (key == "name")
          name = value;
        else if (key == "in")
          in = value;
        else if (key == "out")
          out = value;
      }
      if ((!in.empty() && in != "none") || (!out.empty() && out != "none"))
        c.conditions.push_back(name + " in=" + in + " out=" + out);
    }
    c.valid = true;
    return c;
  }

  /// Interfaces plugged into running guests by `umlab link LAB add` (lab/cli/segment_commands.cpp
  /// keeps the list in <state>/hotplug: "NODE IFACE SEGMENT MAC IP").
  struct HotPlugged {
    std::string node, iface, segment, mac, ip;
  };

  std::vector<HotPlugged> hotPlugged() const {
    std::vector<HotPlugged> out;
    std::ifstream in(plan_.stateDir + "/hotplug");
    for (std::string line; std::getline(in, line);) {
      HotPlugged h;
      std::istringstream w(line);
      if (w >> h.node >> h.iface >> h.segment >> h.mac >> h.ip)
        out.push_back(std::move(h));
    }
    return out;
  }

  std::string psText() const {
    std::ostringstream o;
    char line[512];
    std::snprintf(line, sizeof line, "%-14s %-18s %8s %8s %10s  %s\n", "NODE", "STATE", "PID", "UPTIME", "MEMORY",
                  "INTERFACES");
    o << "lab " << plan_.lab << " (" << plan_.stateDir << ")\n" << line;
    const std::vector<HotPlugged> hot = hotPlugged();
    for (const Guest& g : guests_) {
      std::string ifaces;
      for (const InterfacePlan& i : g.plan->interfaces)
        ifaces += (ifaces.empty() ? "" : ", ") + i.name + " " + (i.ip.empty() ? "-" : i.ip) + " " + i.attachedTo;
      for (const HotPlugged& h : hot)
        if (h.node == g.plan->name)
          ifaces += (ifaces.empty() ? "" : ", ") + h.iface + " " + h.ip + " " + h.segment + " (hot-plugged)";
      const bool alive = g.state != Guest::State::Dead;
      std::string mem = alive ? std::to_string(proportionalSetSizeKiB(processesInPidNamespaceOf(g.process.pid())) / 1024) + " MiB" : "-";
      std::snprintf(line, sizeof line, "%-14s %-18s %8s %8s %10s  %s\n", g.plan->name.c_str(), stateName(g).c_str(),
                    alive ? std::to_string(g.process.pid()).c_str() : "-", uptime(g).c_str(), mem.c_str(),
                    ifaces.c_str());
      o << line;
    }
    for (const Switch& s : switches_) {
      o << "switch " << s.plan->segment << ": " << (s.alive ? "up, pid " + std::to_string(s.process.pid()) : "down");
      if (SwitchCounters c = s.alive ? switchCounters(*s.plan) : SwitchCounters{}; c.valid)
      {
        o << ", " << c.ports << " ports, " << c.rxFrames << " frames in, " << c.txFrames << " out, " << c.drops
          << " dropped\n";
        for (const std::string& cond : c.conditions)
          o << "  link " << cond << "\n";
        continue;
      }
      o << "\n";
    }
    return o.str();
  }

  std::string psJson() const {
    JsonWriter w;
    w.beginObject().field("lab", plan_.lab).field("stateDir", plan_.stateDir).field("supervisor", int64_t(::getpid()));
    w.key("nodes").beginArray();
    for (const Guest& g : guests_) {
      const bool alive = g.state != Guest::State::Dead;
      w.beginObject().field("name", g.plan->name).field("state", stateName(g));
      if (alive)
        w.field("pid", int64_t(g.process.pid()))
            .field("uptimeSeconds", int64_t(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - g.startedAt).count()))
            .field("memoryKiB", proportionalSetSizeKiB(processesInPidNamespaceOf(g.process.pid())));
      w.key("interfaces").beginArray();
      for (const InterfacePlan& i : g.plan->interfaces) {
        w.beginObject().field("name", i.name).field("mac", i.mac).field("attachedTo", i.attachedTo);
        if (!i.ip.empty())
          w.field("ip", i.ip);
        w.endObject();
      }
      for (const HotPlugged& h : hotPlugged()) {
        if (h.node != g.plan->name)
          continue;
        w.beginObject().field("name", h.iface).field("mac", h.mac).field("attachedTo", h.segment)
            .field("hotPlugged", true);
        if (h.ip != "-")
          w.field("ip", h.ip);
        w.endObject();
      }
      w.endArray().endObject();
    }
    w.endArray();
    w.key("switches").beginArray();
    for (const Switch& s : switches_) {
      w.beginObject().field("segment", s.plan->segment).field("state", s.alive ? "up" : "down");
      if (s.alive)
        w.field("pid", int64_t(s.process.pid()));
      if (SwitchCounters c = s.alive ? switchCounters(*s.plan) : SwitchCounters{}; c.valid)
      {
        w.field("ports", c.ports).field("framesIn", c.rxFrames).field("framesOut", c.txFrames).field("dropped", c.drops);
        w.key("conditions");
        w.beginArray();
        for (const std::string& cond : c.conditions)
          w.value(cond);
        w.endArray();
      }
      w.endObject();
    }
    w.endArray().endObject();
    return w.str();
  }

  // ---- stop -------------------------------------------------------------------------------

  /// Asks every ready guest's init to power off (it syncs its disks first) and waits up to
  /// `limit` for the guests to exit, so that kept COW files hold a clean file system.
  void powerOffGuests(std::chrono::seconds limit) {
    for (Guest& g : guests_) {
      if (g.state != Guest::State::Ready || !g.agentFd)
        continue;
      agent::ExecRequest req;
      req.argv = {"kill", "-TERM", "1"};
      agent::encodeFrame({agent::FrameType::Exec, 0xfffffff0u, agent::encodeExecRequest(req)}, g.agentOut);
      const auto until = Clock::now() + std::chrono::seconds(2);
      while (!g.agentOut.empty() && Clock::now() < until) {
        pollfd p{g.agentFd.get(), POLLOUT, 0};
        ::poll(&p, 1, 100);
        if (!flush(g.agentFd.get(), g.agentOut))
          break;
      }
    }
    const auto deadline = Clock::now() + limit;
    for (Guest& g : guests_) {
      while (g.process.isRunning() && Clock::now() < deadline) {
        int status = 0;
        pid_t r = ::waitpid(g.process.pid(), &status, WNOHANG);
        if (r == g.process.pid()) {
          g.process.markReaped(status);
          break;
        }
        ::usleep(50000);
      }
    }
  }

  void teardown(bool keepCow) {
    if (done_)
      return;
    done_ = true;
    if (keepCow)
      powerOffGuests(std::chrono::seconds(15));
    for (Guest& g : guests_)
      g.process.stop();
    for (Switch& s : switches_)
      s.process.stop();
    taps_.clear(); // after the guests that held them
    // Orphans of UML helpers were reparented to us (subreaper): reap whatever is left.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::error_code ec;
    if (keepCow) {
      for (const auto& e : fs::directory_iterator(plan_.stateDir, ec))
        if (e.path().filename() != "cow")
          fs::remove_all(e.path(), ec);
    } else {
      fs::remove_all(plan_.stateDir, ec);
    }
    // Tell the clients waiting for `down`, best effort: the socket file is already gone.
    for (auto& [key, c] : clients_)
      if (c.mode == Client::Mode::Down) {
        std::string ok = "ok\n";
        flush(c.fd.get(), ok);
      }
  }

  const LaunchPlan& plan_;
  SupervisorOptions options_;
  UniqueFd progress_;
  LabState state_;
  UniqueFd signals_;
  UniqueFd listener_;
  std::vector<Guest> guests_;
  std::vector<Switch> switches_;
  std::vector<TapDevice> taps_;
  std::map<int, Client> clients_;
  std::vector<int> closing_;
  unsigned uid_ = labUid(plan_.lab);
  int nextClient_ = 1;
  bool ready_ = false;
  bool failed_ = false;
  bool done_ = false;
};

} // namespace

unsigned labUid(const std::string& lab) { return 100000 + static_cast<unsigned>(fnv1a64(lab) % 50000); }

int runSupervisor(const LaunchPlan& plan, const SupervisorOptions& options, int progressFd) {
  Supervisor s(plan, options, progressFd);
  return s.run();
}

} // namespace umlab::lab::runtime
