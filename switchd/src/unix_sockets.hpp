#pragma once
// Unix socket helpers of umlab-switchd (internal to switchd/src): owned socket paths, the
// signalfd, listening sockets, the uml_switch v3 request, and datagram source addresses.

#include "umlab/base/unique_fd.hpp"
#include "umlab/transports/daemon_protocol.hpp"

#include <array>
#include <csignal>
#include <cstdint>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <utility>

namespace umlab::switchd {

// The uml_switch v3 request and its constants live in transports (daemon_protocol.hpp), shared
// with the clients that speak the protocol.
using transports::kRequestMagic;
using transports::kRequestNewControl;
using transports::kRequestProbe;
using transports::kRequestSize;
using transports::kRequestVersion;
using transports::kUnixAddressSize;
using transports::RequestV3;

/// A filesystem path removed on destruction (a bound socket).
class ScopedPath {
public:
  ScopedPath() = default;
  explicit ScopedPath(std::string path) : path_(std::move(path)) {}
  ScopedPath(ScopedPath&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ScopedPath& operator=(ScopedPath&& o) noexcept;
  ~ScopedPath() { reset(); }
  void reset();

private:
  std::string path_;
};


[[noreturn]] void throwErrno(const std::string& what);

/// A sockaddr_un for a filesystem path; throws ENAMETOOLONG when it does not fit.
sockaddr_un pathAddress(const std::string& path);

/// A listening unix socket of `type` (SOCK_STREAM or SOCK_SEQPACKET) at `path`, non-blocking.
/// A stale socket file (nobody accepts on it) is replaced; a live one or any other kind of file
/// is an error (std::system_error naming the path).
UniqueFd listenAt(const std::string& path, int type, ScopedPath& owned);

/// A non-blocking datagram socket bound to an abstract name "<prefix>.<n>" whose 108 bytes are
/// all deterministic, with addrlen 110 (what UML's daemon transport sends to verbatim). The
/// bound address is stored in `address`.
UniqueFd bindAbstractDatagram(const std::string& prefix, sockaddr_un& address);

std::string hexBytes(const void* data, size_t size);
std::string hexMagic(uint32_t magic);

/// "@" and the first 11 bytes of an abstract name in hex (UML's pid and usec live there), or
/// the path.
std::string describeAddress(const sockaddr_un& a, socklen_t length);

/// The full source address of a datagram: every byte of the name counts.
struct AddressKey {
  std::array<char, sizeof(sockaddr_un::sun_path)> path{};
  socklen_t length = 0;

  static AddressKey of(const sockaddr_un& a, socklen_t length);
  bool operator==(const AddressKey&) const = default;
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const noexcept;
};

} // namespace umlab::switchd
