#pragma once
/// Signals as readable events of a loop (OVS and the house style: no flag variables). The
/// constructor blocks the given signals in the calling thread and opens a non-blocking signalfd
/// for them; the destructor closes it and restores the previous mask.

#include "umlab/base/unique_fd.hpp"

#include <csignal>
#include <initializer_list>
#include <optional>

namespace umlab {

class SignalFd {
public:
  /// Throws std::system_error when the signalfd cannot be made.
  explicit SignalFd(std::initializer_list<int> signals);
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_.get(); }
  /// The next pending signal, or nullopt when none is pending.
  std::optional<int> next();

private:
  UniqueFd fd_;
  sigset_t previous_{};
};

} // namespace umlab
