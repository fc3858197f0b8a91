#pragma once
/// Small I/O helpers shared by the guest programs (umlab-init, umlab-agent). They never throw:
/// a guest program reports a failure on its console and carries on.

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace umlab::guest {

/// Writes all of `data` to a blocking fd, retrying on EINTR. False on any other error.
inline bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

inline std::string errnoText(int error) { return std::strerror(error); }

/// The whole file, or nullopt when it cannot be opened.
inline std::optional<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// In a freshly forked child: unblock every signal and restore default dispositions, so that
/// the program it execs does not inherit the parent's signalfd mask or ignored SIGPIPE.
inline void resetSignalsForExec() {
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      ::signal(sig, SIG_DFL);
}

/// Splits a byte stream into lines and hands each complete line (without its '\n') to a sink;
/// a line longer than kMaxLine is passed on in pieces so that a binary blob cannot grow it.
class LineSplitter {
public:
  static constexpr size_t kMaxLine = 4096;

  template <typename Sink> void feed(std::string_view bytes, Sink&& sink) {
    for (char c : bytes) {
      if (c == '\n') {
        sink(std::string_view(pending_));
        pending_.clear();
        continue;
      }
      pending_.push_back(c);
      if (pending_.size() >= kMaxLine) {
        sink(std::string_view(pending_));
        pending_.clear();
      }
    }
  }
  /// Passes on a final line that had no '\n'.
  template <typename Sink> void finish(Sink&& sink) {
    if (!pending_.empty())
      sink(std::string_view(pending_));
    pending_.clear();
  }

private:
  std::string pending_;
};

} // namespace umlab::guest
