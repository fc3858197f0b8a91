#pragma once
// The admin socket's line protocol (internal to switchd/src): connections, lines in, replies out.
// What the commands do is in admin_commands.hpp.
//
// One command per line (a trailing '\r' is ignored, blank lines are skipped); one reply per
// command: zero or more non-empty lines, then an empty line. A line longer than kMaxAdminLine
// bytes gets an error reply and the connection is closed after it; a client that leaves more than
// kMaxAdminOutput bytes of replies unread is disconnected. Nothing here blocks the loop.

#include "event_loop.hpp"
#include "listener.hpp"

#include "umlab/base/unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace umlab::switchd {

class AdminServer {
public:
  /// Runs one command line and returns its reply, without the terminating empty line.
  using Execute = std::function<std::string(std::string_view line)>;

  /// Listens at `path`. Throws std::system_error naming the path.
  AdminServer(EventLoop& loop, const std::string& path, Execute execute);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

private:
  struct Connection;

  void accept();
  void onConnectionReady(Connection& c, uint32_t events);
  /// Sends what the connection's client can take; closes it when done or hopeless.
  void flush(Connection& c);
  void close(Connection& c);

  EventLoop& loop_;
  Execute execute_;
  std::map<uint32_t, std::unique_ptr<Connection>> connections_;
  uint32_t nextId_ = 1;
  Listener listener_; ///< last: it is destroyed first, and only listens once the rest is ready
};

} // namespace umlab::switchd
