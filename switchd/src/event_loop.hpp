#pragma once
// The switch's event loop (internal to switchd/src): epoll, level-triggered, with a signalfd for
// SIGTERM and SIGINT and a nanosecond timeout, run and wait in turns as OVS's poll loop is.
//
// Whoever owns a socket registers it together with an `FdHandler`, which the loop calls when the
// socket is ready. A handler may be removed, and destroyed, while the loop dispatches the events
// of one wait (a port whose peer hung up, an admin connection that closed): `remove` notes it,
// and the loop drops the events of that wait that are still to come for it (deferred removal),
// so no event reaches an object that is gone.

#include "unix_sockets.hpp"

#include "umlab/base/signal_fd.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/clock.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace umlab::switchd {

/// Something the loop wakes when its socket is ready.
class FdHandler {
public:
  /// `events` are epoll's (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP).
  virtual void onReady(uint32_t events) = 0;

protected:
  ~FdHandler() = default;
};

class EventLoop {
public:
  /// Blocks SIGTERM and SIGINT (restored on destruction) and makes the epoll set. Throws
  /// std::system_error.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Watches `fd` for `events` on behalf of `handler`, which must outlive the watch. Throws
  /// std::system_error ("epoll_ctl").
  void add(int fd, uint32_t events, FdHandler& handler);
  /// As `add`, but returns false (errno set) instead of throwing.
  bool tryAdd(int fd, uint32_t events, FdHandler& handler) noexcept;
  /// Changes what `fd` is watched for.
  void modify(int fd, uint32_t events, FdHandler& handler) noexcept;
  /// Stops watching `fd`; events of the current wait not yet dispatched to `handler` are dropped.
  void remove(int fd, FdHandler& handler) noexcept;

  /// Runs turns until SIGTERM or SIGINT arrives: waits for at most `waitTime()`, dispatches every
  /// ready socket, then calls `afterEvents()` (also in the turn that read the signal). Throws
  /// std::system_error only when epoll itself fails.
  void run(const std::function<Duration()>& waitTime, const std::function<void()>& afterEvents);

private:
  bool isStopSignalRead();

  SignalFd signals_{SIGTERM, SIGINT};
  UniqueFd epoll_;
  bool isDispatching_ = false;
  std::vector<const FdHandler*> removed_; ///< removed while dispatching the current wait's events
};

} // namespace umlab::switchd
