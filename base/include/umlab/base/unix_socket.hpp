#pragma once
/// Unix-domain sockets: every `sockaddr_un` of the project is built here, so a path that does
/// not fit is an error (ENAMETOOLONG) and never a silent truncation that would bind or connect
/// to another file.

#include "umlab/base/unique_fd.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

namespace umlab {

/// A socket address and its length, as bind/connect/sendto take them.
struct UnixAddress {
  sockaddr_un address{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address); }
  /// A filesystem path; throws std::system_error(ENAMETOOLONG) naming the path when it does
  /// not fit in sun_path (107 bytes and a NUL).
  static UnixAddress path(const std::string& path);
  /// An abstract-namespace name (no leading NUL in `name`); throws ENAMETOOLONG likewise.
  static UnixAddress abstract(const std::string& name);
};

/// The longest path a `UnixAddress::path` takes.
inline constexpr size_t kMaxUnixSocketPath = sizeof(sockaddr_un::sun_path) - 1;

/// Connects a SOCK_STREAM socket to `path` (close-on-exec, blocking). Throws std::system_error
/// ("connect <path>: ...") when it cannot.
UniqueFd connectUnixStream(const std::string& path);
/// How a connect may behave. `Now`: the socket is non-blocking, so a peer whose listen backlog is
/// full (a stopped process) fails the connect with EAGAIN instead of holding the caller; the fd
/// stays non-blocking. A unix stream connect otherwise completes at once.
enum class ConnectMode { Wait, Now };

/// As `connectUnixStream`, but returns an invalid fd (errno set) instead of throwing.
UniqueFd tryConnectUnixStream(const std::string& path, ConnectMode mode = ConnectMode::Wait);
/// A listening SOCK_STREAM socket at `path` (non-blocking, close-on-exec), replacing a stale
/// socket file. Throws std::system_error ("bind <path>: ...").
UniqueFd listenUnixStream(const std::string& path, int backlog = 64);
/// Binds the unbound socket `fd` and listens, so that `path` appears only once it listens: the
/// socket is bound to a sibling name and renamed onto `path` (replacing what was there). A peer
/// that sees the file may connect at once, with no window in which a connect is refused, so
/// "the socket file exists" is a readiness signal. Throws std::system_error naming `path`.
void bindListening(int fd, const std::string& path, int backlog);

/// Writes all of `data` to a blocking fd; false when the peer is gone.
bool writeAll(int fd, std::string_view data);
/// Reads one '\n'-terminated line byte by byte (what follows stays in the socket for the
/// caller); nullopt at EOF or after `timeout`.
std::optional<std::string> readLine(int fd, std::chrono::milliseconds timeout);
/// Reads until EOF or `timeout`; returns what came.
std::string readAll(int fd, std::chrono::milliseconds timeout);

/// Passes the descriptor `fd` (SCM_RIGHTS) over the unix socket `sock`, with one byte `tag`.
bool sendDescriptor(int sock, int fd, char tag = 'f');
/// Receives a descriptor sent by `sendDescriptor` (invalid when none came; `tag` gets the byte).
UniqueFd receiveDescriptor(int sock, char* tag = nullptr);

} // namespace umlab
