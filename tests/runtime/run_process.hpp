#pragma once
// Runs a program to completion for the runtime tests, capturing stdout and stderr.

#include "umlab/base/process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace umlab::test {

struct ProcessResult {
  int status = -1; ///< exit code, or -1 when it did not exit normally
  std::string out;
  std::string err;
  bool timedOut = false;
};

/// Runs argv (argv[0] an absolute path) with stdin from /dev/null; kills its process group
/// after `timeout`.
inline ProcessResult runProcess(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(300),
                                const std::vector<std::string>& env = {}) {
  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0)
    return {};
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ProcessSpec o;
  o.argv = argv;
  o.env = env;
  o.fds = {{0, devnull}, {1, outPipe[1]}, {2, errPipe[1]}};
  pid_t pid = spawnProcess(o).pid;
  ::close(devnull);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  ProcessResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timedOut = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000))) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
        continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

} // namespace umlab::test
