#pragma once
// SIGINT, SIGTERM and SIGHUP as a readable fd for a long build's lifetime (base/signal_fd.hpp), so
// that `umlab image build` and `umlab kernel build` stop their tools and clean up instead of dying
// with a half-written cache. Signals that arrived are consumed on destruction (the build already
// reported "interrupted").

#include "umlab/base/signal_fd.hpp"

#include <csignal>

namespace umlab::cli {

class InterruptSignals {
public:
  InterruptSignals() = default;
  ~InterruptSignals() {
    while (signals_.next()) {
    }
  }
  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

  int fd() const { return signals_.fd(); }

private:
  SignalFd signals_{SIGINT, SIGTERM, SIGHUP};
};

} // namespace umlab::cli
