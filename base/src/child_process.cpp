#include "umlab/base/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace umlab {

namespace {

[[noreturn]] void throwErrno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool isReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
  }
  return rc > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/// Splits output into lines, calls the observer, and keeps the last few.
class LineSplitter {
public:
  explicit LineSplitter(const std::function<void(std::string_view)>& onLine) : onLine_(onLine) {}

  void feed(std::string_view data) {
    for (char c : data) {
      if (c == '\n' && lastWasCr_) {
        lastWasCr_ = false;
        continue;
      }
      lastWasCr_ = c == '\r';
      if (c == '\n' || c == '\r') {
        emit();
        continue;
      }
      partial_ += c;
      if (partial_.size() >= kMaxLineLength)
        emit();
    }
  }
  void finish() {
    if (!partial_.empty())
      emit();
  }
  std::vector<std::string> tail() const { return {tail_.begin(), tail_.end()}; }

private:
  static constexpr size_t kMaxLineLength = 65536;

  void emit() {
    if (onLine_)
      onLine_(partial_);
    if (!partial_.empty()) {
      tail_.push_back(std::move(partial_));
      if (tail_.size() > CommandResult::kTailLines)
        tail_.pop_front();
    }
    partial_.clear();
  }

  const std::function<void(std::string_view)>& onLine_;
  std::string partial_;
  bool lastWasCr_ = false;
  std::deque<std::string> tail_;
};

} // namespace

std::string Command::display() const {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty())
      text += ' ';
    const bool isPlain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos;
    if (isPlain) {
      text += arg;
      continue;
    }
    text += '\'';
    for (char c : arg)
      text += c == '\'' ? std::string("'\\''") : std::string(1, c);
    text += '\'';
  }
  return text;
}

std::optional<std::string> findExecutable(const std::string& name) {
  if (name.empty())
    return std::nullopt;
  if (name.find('/') != std::string::npos)
    return isExecutableFile(name) ? std::optional<std::string>(name) : std::nullopt;
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start < dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    if (end > start && dirs[start] == '/') { // relative and empty entries are skipped
      std::string candidate = dirs.substr(start, end - start) + "/" + name;
      if (isExecutableFile(candidate))
        return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

ChildProcess ChildProcess::start(const Command& command) {
  if (command.argv.empty())
    throw std::invalid_argument("ChildProcess::start: empty argv");
  const std::string& program = command.argv[0];
  std::optional<std::string> path = findExecutable(program);
  if (!path)
    throwErrno(ENOENT, "cannot run '" + program + "'");

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throwErrno(errno, "pipe for '" + program + "'");
  UniqueFd outRead(out[0]), outWrite(out[1]);

  UniqueFd inChild, inParent;
  if (!command.input.empty()) {
    // A socket rather than a pipe, so that writing to a child that closed its stdin fails with
    // EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      throwErrno(errno, "socketpair for '" + program + "'");
    inChild.reset(sv[0]);
    inParent.reset(sv[1]);
    ::shutdown(inChild.get(), SHUT_WR);
    ::shutdown(inParent.get(), SHUT_RD);
    ::fcntl(inParent.get(), F_SETFL, ::fcntl(inParent.get(), F_GETFL) | O_NONBLOCK);
  } else {
    inChild.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!inChild)
      throwErrno(errno, "open /dev/null");
  }

  ProcessSpec spec;
  spec.argv = command.argv;
  spec.argv[0] = *path;
  spec.name = program;
  spec.fds = {{0, inChild.get()}, {1, outWrite.get()}, {2, outWrite.get()}};
  for (const auto& [name, value] : command.env)
    spec.env.push_back(name + "=" + value);
  spec.workingDir = command.workingDir;
  const pid_t pid = spawnProcess(spec).pid;

  ChildProcess child;
  child.pid_ = pid;
  child.output_ = std::move(outRead);
  child.input_ = std::move(inParent);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)),
      output_(std::move(other.output_)), input_(std::move(other.input_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
    output_ = std::move(other.output_);
    input_ = std::move(other.input_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { reset(); }

void ChildProcess::reset() {
  input_.reset();
  output_.reset();
  if (isRunning())
    terminate();
  pid_ = -1;
  status_.reset();
}

ExitStatus ChildProcess::wait() {
  if (status_ || pid_ <= 0)
    return status_.value_or(ExitStatus{});
  int raw = 0;
  pid_t rc;
  while ((rc = ::waitpid(pid_, &raw, 0)) < 0 && errno == EINTR) {
  }
  status_ = rc == pid_ ? ExitStatus::fromWaitStatus(raw) : ExitStatus{};
  return *status_;
}

std::optional<ExitStatus> ChildProcess::tryWait() {
  if (status_ || pid_ <= 0)
    return status_;
  int raw = 0;
  pid_t rc;
  while ((rc = ::waitpid(pid_, &raw, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (rc == 0)
    return std::nullopt;
  status_ = rc == pid_ ? ExitStatus::fromWaitStatus(raw) : ExitStatus{};
  return status_;
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (!isRunning())
    return status_.value_or(ExitStatus{});
  const ProcessId group{pid_, 0};
  status_ = stopProcessGroups(std::span<const ProcessId>(&group, 1), {}, grace).front();
  return *status_;
}

CommandResult runCommand(const Command& command, const CommandObserver& observer) {
  ChildProcess child = ChildProcess::start(command);
  CommandResult result;
  LineSplitter lines(observer.onLine);
  size_t inputOffset = 0;
  if (command.input.empty())
    child.inputFd().reset();

  constexpr auto kTick = std::chrono::seconds(1);
  auto nextTick = std::chrono::steady_clock::now() + kTick;
  char buffer[16384];
  while (child.outputFd()) {
    std::vector<pollfd> fds;
    fds.push_back({child.outputFd().get(), POLLIN, 0});
    const bool isWriting = static_cast<bool>(child.inputFd());
    if (isWriting)
      fds.push_back({child.inputFd().get(), POLLOUT, 0});
    if (observer.cancelFd >= 0)
      fds.push_back({observer.cancelFd, POLLIN, 0});

    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextTick - std::chrono::steady_clock::now());
    int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (rc < 0 && errno != EINTR)
      throwErrno(errno, "poll for '" + command.argv[0] + "'");

    if (observer.cancelFd >= 0 && (fds.back().revents & (POLLIN | POLLHUP | POLLERR))) {
      // The cancel fd is not read: it stays readable, so later commands are cancelled too.
      result.isCancelled = true;
      child.outputFd().reset();
      child.inputFd().reset();
      break;
    }
    if (isWriting && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::send(child.inputFd().get(), command.input.data() + inputOffset, command.input.size() - inputOffset,
                         MSG_NOSIGNAL);
      if (n > 0)
        inputOffset += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || inputOffset == command.input.size())
        child.inputFd().reset(); // EOF for the child; an EPIPE means it stopped reading
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(child.outputFd().get(), buffer, sizeof buffer);
      if (n > 0)
        lines.feed(std::string_view(buffer, static_cast<size_t>(n)));
      else if (n == 0 || errno != EINTR)
        child.outputFd().reset();
    }
    if (std::chrono::steady_clock::now() >= nextTick) {
      nextTick += kTick;
      if (observer.onTick)
        observer.onTick();
      // The program is gone but something it started holds the pipe: take what is buffered
      // and stop reading.
      if (child.tryWait()) {
        while (child.outputFd() && isReadable(child.outputFd().get())) {
          ssize_t n = ::read(child.outputFd().get(), buffer, sizeof buffer);
          if (n <= 0)
            break;
          lines.feed(std::string_view(buffer, static_cast<size_t>(n)));
        }
        child.outputFd().reset();
      }
    }
  }
  lines.finish();
  result.status = result.isCancelled ? child.terminate() : child.wait();
  result.lastLines = lines.tail();
  return result;
}

CommandResult SystemCommandRunner::run(const Command& command, const std::function<void(std::string_view)>& onLine,
                                       const std::function<void()>& onTick) {
  return runCommand(command, CommandObserver{onLine, onTick, cancelFd_});
}

bool SystemCommandRunner::isCancelled() { return cancelFd_ >= 0 && isReadable(cancelFd_); }

} // namespace umlab
