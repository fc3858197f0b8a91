#pragma once
// A listening unix socket watched by the event loop (internal to switchd/src): the daemon, monitor
// and bess listeners guests join through, and the admin socket.

#include "event_loop.hpp"
#include "unix_sockets.hpp"

#include "umlab/base/unique_fd.hpp"

#include <functional>
#include <string>

namespace umlab::switchd {

class Listener final : public FdHandler {
public:
  /// Listens at `path` (SOCK_STREAM or SOCK_SEQPACKET, non-blocking; a stale socket file is
  /// replaced, see `listenAt`) and has `loop` call `onAcceptable` whenever connections wait.
  /// Throws std::system_error naming the path. The path is removed on destruction.
  Listener(EventLoop& loop, const std::string& path, int type, std::function<void()> onAcceptable);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_.get(); }
  /// Stops reporting waiting connections, until `resume`: when the switch is out of file
  /// descriptors, a level-triggered listener would wake the loop again at once.
  void pause();
  /// Throws std::system_error when epoll refuses.
  void resume();

  void onReady(uint32_t events) override;

private:
  EventLoop& loop_;
  std::function<void()> onAcceptable_;
  ScopedPath path_; ///< declared before the socket: the path goes after the socket is closed
  UniqueFd fd_;
  bool isWatched_ = false;
};

} // namespace umlab::switchd
