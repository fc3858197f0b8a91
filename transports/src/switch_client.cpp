#include "umlab/transports/switch_client.hpp"

#include "umlab/base/unix_socket.hpp"
#include "umlab/transports/daemon_protocol.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <chrono>
#include <poll.h>
#include <system_error>
#include <unistd.h>

namespace umlab::transports {
namespace {

using SteadyClock = std::chrono::steady_clock;

/// umlab-switchd refuses a request it has not completed within 5 s; the reply is awaited as long.
constexpr std::chrono::milliseconds kReplyTimeout = std::chrono::seconds(5);

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

/// Waits until `fd` is ready for `events` or `deadline` passes; false on the deadline.
bool waitFor(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, left < 0 ? 0 : int(left));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      fail(errno, "poll");
    return rc > 0;
  }
}

/// A non-blocking datagram socket bound to an abstract name unique to this process and socket.
/// Binds `fd` (a new one when invalid) to a fresh abstract name, in the network namespace the
/// socket was made in.
UniqueFd bindDataSocket(sockaddr_un& address, UniqueFd fd = {}) {
  if (!fd)
    fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    fail(errno, "bind data socket: socket");
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    fail(errno, "bind data socket: make it non-blocking");
  // The descriptor number is unique in the process while the socket lives; the time separates
  // processes of other PID namespaces that share this network namespace (and its abstract names).
  const auto now = SteadyClock::now().time_since_epoch();
  const std::string name = "umlab-switch-client." + std::to_string(::getpid()) + "." + std::to_string(fd.get()) +
                           "." + std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  UnixAddress a = UnixAddress::abstract(name);
  // All 108 bytes are the name (zero-padded), as the switch copies them and sends to them.
  a.length = kUnixAddressSize;
  if (::bind(fd.get(), a.get(), a.length) != 0)
    fail(errno, "bind data socket @" + name);
  address = a.address;
  return fd;
}

} // namespace

SwitchClient SwitchClient::join(const std::string& ctlPath, Role role) { return join(ctlPath, role, UniqueFd()); }

SwitchClient SwitchClient::join(const std::string& ctlPath, Role role, UniqueFd dataSocket) {
  // Non-blocking, so that a switch that stopped accepting (a full backlog) fails the connect
  // instead of holding the caller.
  UniqueFd control = tryConnectUnixStream(ctlPath, ConnectMode::Now);
  if (!control)
    fail(errno, "connect to " + ctlPath);
  sockaddr_un address{};
  UniqueFd data = bindDataSocket(address, std::move(dataSocket));

  RequestV3 request{};
  request.magic = kRequestMagic;
  request.version = kRequestVersion;
  request.type = role == Role::Probe ? kRequestProbe : kRequestNewControl;
  request.sock = address;
  const std::string step = "handshake with " + ctlPath;
  const SteadyClock::time_point deadline = SteadyClock::now() + kReplyTimeout;
  // A fresh stream socket takes 124 bytes at once; a short write is still handled.
  size_t sent = 0;
  while (sent < kRequestSize) {
    const ssize_t n = ::send(control.get(), reinterpret_cast<const char*>(&request) + sent, kRequestSize - sent,
                             MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      if (!waitFor(control.get(), POLLOUT, deadline))
        fail(ETIMEDOUT, step + ": the switch took no request within 5 s");
      continue;
    }
    if (n < 0)
      fail(errno, step + ": sending the request");
    sent += size_t(n);
  }

  sockaddr_un reply{};
  size_t got = 0;
  while (got < kUnixAddressSize) {
    if (!waitFor(control.get(), POLLIN, deadline))
      fail(ETIMEDOUT, step + ": no reply within 5 s");
    const ssize_t n = ::recv(control.get(), reinterpret_cast<char*>(&reply) + got, kUnixAddressSize - got, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n < 0 && errno != ECONNRESET)
      fail(errno, step + ": reading the reply");
    if (n <= 0) {
      const char* hint = role == Role::Probe ? " (is it an umlab-switchd? probes need one)"
                                             : " (it refused the request; its log says why)";
      if (got == 0)
        fail(ECONNREFUSED, step + ": the switch closed the connection" + hint);
      fail(EPROTO, step + ": a reply of " + std::to_string(got) + " bytes, not " +
                       std::to_string(kUnixAddressSize));
    }
    got += size_t(n);
  }
  if (reply.sun_family != AF_UNIX)
    fail(EPROTO, step + ": the reply is not a unix socket address (family " + std::to_string(reply.sun_family) + ")");
  return SwitchClient(std::move(control), std::move(data), address, reply, role);
}

bool SwitchClient::send(std::span<const uint8_t> frame) {
  for (;;) {
    const ssize_t n = ::sendto(data_.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&switchAddress_), kUnixAddressSize);
    if (n >= 0)
      return true;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return false;
    fail(errno, "send a frame to the switch");
  }
}

std::optional<size_t> SwitchClient::receive(std::span<uint8_t> buffer) {
  for (;;) {
    const ssize_t n = ::recv(data_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n >= 0)
      return size_t(n);
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return std::nullopt;
    fail(errno, "receive a frame from the switch");
  }
}

bool SwitchClient::isSwitchGone() {
  while (!isGone_) {
    std::array<char, 256> scratch;
    const ssize_t n = ::recv(control_.get(), scratch.data(), scratch.size(), MSG_DONTWAIT);
    if (n > 0)
      continue; // the protocol has nothing after the reply: ignored
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    isGone_ = true; // EOF, or the connection failed
  }
  return true;
}

} // namespace umlab::transports
