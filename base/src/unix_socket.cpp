#include "umlab/base/unix_socket.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <poll.h>
#include <system_error>
#include <unistd.h>

namespace umlab {

namespace {
using SteadyClock = std::chrono::steady_clock;

/// Waits until `fd` is readable or `deadline` passes; false on the deadline or an error.
bool waitReadable(int fd, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, left < 0 ? 0 : static_cast<int>(left));
    if (rc < 0 && errno == EINTR)
      continue;
    return rc > 0;
  }
}
} // namespace

UnixAddress UnixAddress::path(const std::string& path) {
  if (path.empty() || path.size() > kMaxUnixSocketPath || path.find('\0') != std::string::npos)
    throw std::system_error(ENAMETOOLONG, std::generic_category(),
                            "socket path '" + path + "' is empty or longer than " + std::to_string(kMaxUnixSocketPath) +
                                " bytes");
  UnixAddress a;
  a.address.sun_family = AF_UNIX;
  std::memcpy(a.address.sun_path, path.data(), path.size());
  a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

UnixAddress UnixAddress::abstract(const std::string& name) {
  if (name.size() + 1 > sizeof(sockaddr_un::sun_path))
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "abstract socket name '" + name + "' is too long");
  UnixAddress a;
  a.address.sun_family = AF_UNIX;
  std::memcpy(a.address.sun_path + 1, name.data(), name.size());
  a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

UniqueFd tryConnectUnixStream(const std::string& path, ConnectMode mode) {
  UnixAddress a;
  try {
    a = UnixAddress::path(path);
  } catch (const std::system_error&) {
    errno = ENAMETOOLONG;
    return UniqueFd();
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (mode == ConnectMode::Now ? SOCK_NONBLOCK : 0), 0));
  if (!fd)
    return fd;
  int rc;
  while ((rc = ::connect(fd.get(), a.get(), a.length)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int e = errno;
    fd.reset();
    errno = e;
  }
  return fd;
}

UniqueFd connectUnixStream(const std::string& path) {
  UniqueFd fd = tryConnectUnixStream(path);
  if (!fd)
    throw std::system_error(errno, std::generic_category(), "connect " + path);
  return fd;
}

void bindListening(int fd, const std::string& path, int backlog) {
  const UnixAddress final = UnixAddress::path(path);
  // A sibling name that fits: the directory, '.', this pid and a counter.
  static unsigned counter = 0;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  const std::string temporary = dir + "/.listen-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  if (temporary.size() > kMaxUnixSocketPath) {
    // No room for a sibling name: bind where the socket belongs (a connect between bind and
    // listen is refused; the callers' peers retry a refusal).
    if (::bind(fd, final.get(), final.length) != 0 || ::listen(fd, backlog) != 0)
      throw std::system_error(errno, std::generic_category(), "bind " + path);
    return;
  }
  const UnixAddress a = UnixAddress::path(temporary);
  ::unlink(temporary.c_str());
  if (::bind(fd, a.get(), a.length) != 0)
    throw std::system_error(errno, std::generic_category(), "bind " + path + " (as " + temporary + ")");
  if (::listen(fd, backlog) != 0 || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temporary.c_str());
    throw std::system_error(e, std::generic_category(), "listen at " + path);
  }
}

UniqueFd listenUnixStream(const std::string& path, int backlog) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throw std::system_error(errno, std::generic_category(), "socket for " + path);
  bindListening(fd.get(), path, backlog); // throws when the path does not fit; replaces a stale socket file
  return fd;
}

bool writeAll(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t w = ::write(fd, data.data() + off, data.size() - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      off += static_cast<size_t>(w);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::optional<std::string> readLine(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = SteadyClock::now() + timeout;
  while (waitReadable(fd, deadline)) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return std::nullopt;
    if (c == '\n')
      return line;
    line += c;
  }
  return std::nullopt;
}

std::string readAll(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = SteadyClock::now() + timeout;
  char buf[65536];
  while (waitReadable(fd, deadline)) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {

/// One byte and room for one descriptor: the message both ends of SCM_RIGHTS use.
struct DescriptorMessage {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr msg{};
  DescriptorMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  DescriptorMessage(const DescriptorMessage&) = delete;
  DescriptorMessage& operator=(const DescriptorMessage&) = delete;
};

} // namespace

bool sendDescriptor(int sock, int fd, char tag) {
  DescriptorMessage m;
  m.byte = tag;
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  while ((n = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

UniqueFd receiveDescriptor(int sock, char* tag) {
  DescriptorMessage m;
  ssize_t n;
  while ((n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (tag)
    *tag = m.byte;
  if (n != 1)
    return UniqueFd();
  for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg); c; c = CMSG_NXTHDR(&m.msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return UniqueFd(fd);
    }
  return UniqueFd();
}

} // namespace umlab
