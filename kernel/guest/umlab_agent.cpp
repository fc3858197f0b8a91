/// umlab-agent: runs commands in a guest for `umlab exec`, over a serial line.
///
/// Design note. umlab-init starts `umlab-agent /dev/ttyS1`; the host end of that line is one
/// end of a socketpair held by the lab's supervisor (`ssl1=fd:3`). The agent puts the tty in raw
/// mode, sends HELLO and then serves the frames of agent_protocol.hpp until the line hangs up.
///
/// One thread, one poll() loop over: the tty (always read; written while output is queued), a
/// signalfd for SIGCHLD, and per request its stdout and stderr pipes and, when it takes input,
/// its stdin pipe. Every fd is non-blocking, so no child and no slow host can stall the others.
/// Output travels in order: each read of a pipe becomes one STDOUT/STDERR frame appended to a
/// single tty queue, and a request's EXIT is queued only after its process has been reaped and
/// both pipes have reached end of file (so a background child that keeps the pipes open keeps
/// the request open too, as with ssh; the host's timeout sends SIGNAL to the whole group).
/// Back-pressure: while the tty queue holds more than kHighWater bytes the agent stops reading
/// output pipes, so the commands block in write() and memory stays bounded whatever they print.
///
/// A command runs with execvp in its own process group (SIGNAL goes to the group), in /, with
/// stdin from /dev/null unless the request says it reads stdin, and with the environment
/// PATH (umlab-init's compat wrappers first), HOME=/root, TERM=dumb plus the request's entries. A command that cannot be started
/// (the exec fails: ENOENT, EACCES, ...) ends with EXIT {127 or 126, 0, errno}, learnt through a
/// close-on-exec pipe from the child.

#include "guest_io.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/agent_protocol.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <poll.h>
#include <string>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace agent = umlab::kernel::agent;
using umlab::UniqueFd;
using umlab::guest::errnoText;

namespace {

constexpr size_t kHighWater = 256 * 1024;
const std::vector<std::string> kBaseEnvironment = {"PATH=/run/umlab-compat/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=dumb"};

void logError(const std::string& text) { umlab::guest::writeAll(STDERR_FILENO, "umlab-agent: " + text + "\n"); }

struct Request {
  uint32_t id = 0;
  pid_t pid = -1; ///< also the process group
  bool isReaped = false;
  int status = 0;
  UniqueFd stdoutPipe, stderrPipe, stdinPipe;
  std::string stdinQueue;
  bool closeStdinWhenEmpty = false;
};

/// The environment a request runs with: the base entries, overridden or extended by `extra`.
std::vector<std::string> environmentFor(const std::vector<std::string>& extra) {
  std::vector<std::string> env = kBaseEnvironment;
  for (const auto& entry : extra) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (auto& existing : env)
      if (existing.compare(0, name.size(), name) == 0) {
        existing = entry;
        replaced = true;
      }
    if (!replaced)
      env.push_back(entry);
  }
  return env;
}

bool makePipe(UniqueFd& readEnd, UniqueFd& writeEnd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return false;
  readEnd.reset(fds[0]);
  writeEnd.reset(fds[1]);
  return true;
}

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

class Agent {
public:
  explicit Agent(UniqueFd tty, UniqueFd signals) : tty_(std::move(tty)), signals_(std::move(signals)) {}
  /// Hangs up the process group of every request still running, as a terminal would.
  ~Agent() {
    for (const auto& [id, request] : requests_)
      if (!request->isReaped)
        ::kill(-request->pid, SIGHUP);
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  /// Serves until the line hangs up; returns the exit code.
  int run();

private:
  void queueFrame(agent::FrameType type, uint32_t id, std::string_view payload);
  void queueHello();
  void queueExit(uint32_t id, const agent::ExitStatus& status);
  bool flushTty();
  bool readTty();
  void handleFrame(const agent::Frame& frame);
  void startRequest(uint32_t id, const std::string& payload);
  void readOutput(Request& request, UniqueFd& pipe, agent::FrameType type);
  void writeStdin(Request& request);
  void reapChildren();
  void finishRequests();
  size_t queuedBytes() const { return out_.size() - outHead_; }

  UniqueFd tty_;
  UniqueFd signals_;
  agent::FrameDecoder decoder_;
  std::string out_;
  size_t outHead_ = 0;
  std::map<uint32_t, std::unique_ptr<Request>> requests_;
  std::string readBuffer_ = std::string(agent::kMaxPayload, '\0');
};

void Agent::queueFrame(agent::FrameType type, uint32_t id, std::string_view payload) {
  if (outHead_ == out_.size()) {
    out_.clear();
    outHead_ = 0;
  }
  agent::encodeFrame({type, id, std::string(payload)}, out_);
}

void Agent::queueHello() {
  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  queueFrame(agent::FrameType::Hello, 0, name);
}

void Agent::queueExit(uint32_t id, const agent::ExitStatus& status) {
  queueFrame(agent::FrameType::Exit, id, agent::encodeExitStatus(status));
}

/// Writes what the tty takes now. False when the line is gone.
bool Agent::flushTty() {
  while (outHead_ < out_.size()) {
    const ssize_t n = ::write(tty_.get(), out_.data() + outHead_, out_.size() - outHead_);
    if (n > 0) {
      outHead_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      break;
    logError("write to the line: " + errnoText(errno));
    return false;
  }
  if (outHead_ == out_.size()) {
    out_.clear();
    outHead_ = 0;
  } else if (outHead_ > (1u << 20)) {
    out_.erase(0, outHead_);
    outHead_ = 0;
  }
  return true;
}

/// Reads and handles what the host sent. False when the line hung up.
bool Agent::readTty() {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(tty_.get(), buffer, sizeof buffer);
    if (n > 0) {
      decoder_.feed(std::span<const char>(buffer, static_cast<size_t>(n)));
      while (auto frame = decoder_.next())
        handleFrame(*frame);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    logError(n == 0 ? std::string("the line hung up") : "read from the line: " + errnoText(errno));
    return false;
  }
}

void Agent::handleFrame(const agent::Frame& frame) {
  using agent::FrameType;
  auto found = requests_.find(frame.id);
  Request* request = found == requests_.end() ? nullptr : found->second.get();
  switch (frame.type) {
  case FrameType::Ping:
    queueFrame(FrameType::Pong, frame.id, frame.payload);
    if (frame.id == 0)
      queueHello();
    break;
  case FrameType::Exec:
    if (request) {
      logError("request " + std::to_string(frame.id) + " is already running");
      queueExit(frame.id, {126, 0, EBUSY});
      break;
    }
    startRequest(frame.id, frame.payload);
    break;
  case FrameType::Stdin:
    if (!request || !request->stdinPipe || request->closeStdinWhenEmpty)
      break;
    if (frame.payload.empty())
      request->closeStdinWhenEmpty = true;
    else
      request->stdinQueue += frame.payload;
    writeStdin(*request);
    break;
  case FrameType::Signal:
    if (request && frame.payload.size() == 1) {
      const int sig = static_cast<unsigned char>(frame.payload[0]);
      if (sig > 0 && sig < NSIG)
        ::kill(-request->pid, sig);
    }
    break;
  default:
    break; // guest-to-host types coming back (an echo before raw mode): not for us
  }
}

void Agent::startRequest(uint32_t id, const std::string& payload) {
  auto decoded = agent::decodeExecRequest(payload);
  if (!decoded) {
    logError("request " + std::to_string(id) + ": malformed EXEC payload");
    queueExit(id, {126, 0, EINVAL});
    return;
  }
  auto request = std::make_unique<Request>();
  request->id = id;
  UniqueFd childOut, childErr, childIn, errorRead, errorWrite;
  bool ok = makePipe(request->stdoutPipe, childOut) && makePipe(request->stderrPipe, childErr) &&
            makePipe(errorRead, errorWrite);
  if (ok && decoded->hasStdin)
    ok = makePipe(childIn, request->stdinPipe);
  else if (ok)
    childIn.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!ok || !childIn) {
    const int error = errno;
    logError("request " + std::to_string(id) + ": pipe: " + errnoText(error));
    queueExit(id, {126, 0, static_cast<uint32_t>(error)});
    return;
  }

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env = environmentFor(decoded->env);
  std::vector<char*> argv, envp;
  for (auto& arg : decoded->argv)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& entry : env)
    envp.push_back(entry.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    logError("request " + std::to_string(id) + ": fork: " + errnoText(error));
    queueExit(id, {126, 0, static_cast<uint32_t>(error)});
    return;
  }
  if (pid == 0) {
    umlab::guest::resetSignalsForExec();
    ::setpgid(0, 0);
    ::dup2(childIn.get(), STDIN_FILENO);
    ::dup2(childOut.get(), STDOUT_FILENO);
    ::dup2(childErr.get(), STDERR_FILENO);
    if (::chdir("/") == 0) {
      environ = envp.data();
      ::execvp(argv[0], argv.data());
    }
    const int error = errno;
    ssize_t ignored = ::write(errorWrite.get(), &error, sizeof error);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid); // also here, so that a SIGNAL right after EXEC finds the group
  errorWrite.reset();
  childIn.reset();
  childOut.reset();
  childErr.reset();
  int error = 0;
  ssize_t n;
  while ((n = ::read(errorRead.get(), &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof error)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    queueExit(id, {error == ENOENT ? 127 : 126, 0, static_cast<uint32_t>(error)});
    return;
  }
  request->pid = pid;
  setNonBlocking(request->stdoutPipe.get());
  setNonBlocking(request->stderrPipe.get());
  if (request->stdinPipe)
    setNonBlocking(request->stdinPipe.get());
  requests_[id] = std::move(request);
}

void Agent::readOutput(Request& request, UniqueFd& pipe, agent::FrameType type) {
  for (;;) {
    const ssize_t n = ::read(pipe.get(), readBuffer_.data(), readBuffer_.size());
    if (n > 0) {
      queueFrame(type, request.id, std::string_view(readBuffer_.data(), static_cast<size_t>(n)));
      return; // one chunk per wake-up keeps requests fair and the queue bounded
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    pipe.reset(); // end of file (or an error, treated alike)
    return;
  }
}

void Agent::writeStdin(Request& request) {
  while (!request.stdinQueue.empty()) {
    const ssize_t n = ::write(request.stdinPipe.get(), request.stdinQueue.data(), request.stdinQueue.size());
    if (n > 0) {
      request.stdinQueue.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    // EPIPE: the command stopped reading; what is left has nowhere to go.
    request.stdinQueue.clear();
    request.stdinPipe.reset();
    return;
  }
  if (request.closeStdinWhenEmpty)
    request.stdinPipe.reset();
}

void Agent::reapChildren() {
  signalfd_siginfo info;
  while (::read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto& [id, request] : requests_)
      if (request->pid == pid) {
        request->isReaped = true;
        request->status = status;
      }
  }
}

void Agent::finishRequests() {
  for (auto it = requests_.begin(); it != requests_.end();) {
    Request& request = *it->second;
    if (!request.isReaped || request.stdoutPipe || request.stderrPipe) {
      ++it;
      continue;
    }
    agent::ExitStatus status;
    if (WIFSIGNALED(request.status)) {
      status.signal = static_cast<uint32_t>(WTERMSIG(request.status));
      status.code = 128 + WTERMSIG(request.status);
    } else {
      status.code = WEXITSTATUS(request.status);
    }
    queueExit(request.id, status);
    it = requests_.erase(it);
  }
}

int Agent::run() {
  queueHello();
  // Which pollfd belongs to what: the tty, the signalfd, then one entry per request pipe.
  enum class Slot { Stdout, Stderr, Stdin };
  struct Watch {
    uint32_t id;
    Slot slot;
  };
  std::vector<pollfd> fds;
  std::vector<Watch> watches;
  for (;;) {
    fds.assign({{tty_.get(), static_cast<short>(POLLIN | (queuedBytes() ? POLLOUT : 0)), 0},
                {signals_.get(), POLLIN, 0}});
    watches.clear();
    const bool isReadingOutput = queuedBytes() < kHighWater;
    for (const auto& [id, request] : requests_) {
      if (isReadingOutput && request->stdoutPipe) {
        fds.push_back({request->stdoutPipe.get(), POLLIN, 0});
        watches.push_back({id, Slot::Stdout});
      }
      if (isReadingOutput && request->stderrPipe) {
        fds.push_back({request->stderrPipe.get(), POLLIN, 0});
        watches.push_back({id, Slot::Stderr});
      }
      if (request->stdinPipe && (!request->stdinQueue.empty() || request->closeStdinWhenEmpty)) {
        fds.push_back({request->stdinPipe.get(), POLLOUT, 0});
        watches.push_back({id, Slot::Stdin});
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      logError("poll: " + errnoText(errno));
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
      if (!readTty())
        return 1;
    if (fds[1].revents & POLLIN)
      reapChildren();
    for (size_t i = 0; i < watches.size(); ++i) {
      if (!fds[i + 2].revents)
        continue;
      auto found = requests_.find(watches[i].id);
      if (found == requests_.end())
        continue;
      Request& request = *found->second;
      switch (watches[i].slot) {
      case Slot::Stdout:
        readOutput(request, request.stdoutPipe, agent::FrameType::Stdout);
        break;
      case Slot::Stderr:
        readOutput(request, request.stderrPipe, agent::FrameType::Stderr);
        break;
      case Slot::Stdin:
        if (request.stdinPipe)
          writeStdin(request);
        break;
      }
    }
    finishRequests();
    if (queuedBytes() && !flushTty())
      return 1;
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: umlab-agent <tty>   (umlab-init runs it on /dev/ttyS1)\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  UniqueFd signals(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) {
    logError(std::string("signalfd: ") + errnoText(errno));
    return 1;
  }
  UniqueFd tty(::open(argv[1], O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!tty) {
    logError(std::string("open ") + argv[1] + ": " + errnoText(errno));
    return 1;
  }
  termios mode;
  if (::tcgetattr(tty.get(), &mode) == 0) {
    ::cfmakeraw(&mode);
    mode.c_iflag &= ~(IXOFF | IXANY);
    mode.c_cc[VMIN] = 1;
    mode.c_cc[VTIME] = 0;
    if (::tcsetattr(tty.get(), TCSANOW, &mode) != 0)
      logError(std::string("raw mode on ") + argv[1] + ": " + errnoText(errno));
  }
  Agent agent(std::move(tty), std::move(signals));
  return agent.run();
}
