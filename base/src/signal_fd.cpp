#include "umlab/base/signal_fd.hpp"

#include <cerrno>
#include <sys/signalfd.h>
#include <system_error>
#include <unistd.h>

namespace umlab {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals)
    sigaddset(&mask, s);
  ::pthread_sigmask(SIG_BLOCK, &mask, &previous_);
  fd_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_) {
    const int e = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    throw std::system_error(e, std::generic_category(), "signalfd");
  }
}

SignalFd::~SignalFd() {
  fd_.reset();
  ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalFd::next() {
  signalfd_siginfo si;
  for (;;) {
    const ssize_t n = ::read(fd_.get(), &si, sizeof si);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != sizeof si)
      return std::nullopt;
    return static_cast<int>(si.ssi_signo);
  }
}

} // namespace umlab
