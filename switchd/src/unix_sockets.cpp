#include "unix_sockets.hpp"

#include "umlab/base/unix_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab::switchd {

ScopedPath& ScopedPath::operator=(ScopedPath&& o) noexcept {
  if (this != &o) {
    reset();
    path_ = std::exchange(o.path_, {});
  }
  return *this;
}

void ScopedPath::reset() {
  if (!path_.empty())
    ::unlink(path_.c_str());
  path_.clear();
}

void throwErrno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

sockaddr_un pathAddress(const std::string& path) { return UnixAddress::path(path).address; }

UniqueFd listenAt(const std::string& path, int type, ScopedPath& owned) {
  const sockaddr_un a = pathAddress(path);
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throwErrno("socket for " + path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::system_error(EADDRINUSE, std::generic_category(), "bind " + path + ": exists and is not a socket");
    UniqueFd probe(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0)
      throw std::system_error(EADDRINUSE, std::generic_category(),
                              "bind " + path + ": another switch is listening there");
  }
  // The file appears only once the socket listens (a stale one is replaced): a guest or a
  // client that sees it may connect at once.
  bindListening(fd.get(), path, 128);
  owned = ScopedPath(path);
  return fd;
}

UniqueFd bindAbstractDatagram(const std::string& prefix, sockaddr_un& address) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throwErrno("socket");
  for (unsigned attempt = 0;; ++attempt) {
    address = sockaddr_un{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "%s.%u", prefix.c_str(), attempt);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), kUnixAddressSize) == 0)
      return fd;
    if (errno != EADDRINUSE || attempt >= 64)
      throwErrno("bind abstract datagram socket " + prefix);
  }
}

std::string hexBytes(const void* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::string hexMagic(uint32_t magic) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08x", unsigned(magic));
  return text.data();
}

std::string describeAddress(const sockaddr_un& a, socklen_t length) {
  if (length <= sizeof(sa_family_t))
    return "(unnamed)";
  if (a.sun_path[0] != '\0')
    return std::string(a.sun_path, strnlen(a.sun_path, sizeof(a.sun_path)));
  return "@" + hexBytes(a.sun_path + 1, 11);
}

AddressKey AddressKey::of(const sockaddr_un& a, socklen_t length) {
  AddressKey k;
  k.length = length;
  if (length > sizeof(sa_family_t)) {
    size_t n = std::min<size_t>(length - sizeof(sa_family_t), k.path.size());
    std::memcpy(k.path.data(), a.sun_path, n);
  }
  return k;
}

size_t AddressKeyHash::operator()(const AddressKey& k) const noexcept {
  // Eight bytes at a time (this runs once per received frame); equality still compares all.
  uint64_t h = 0x9e3779b97f4a7c15ull ^ k.length;
  for (size_t i = 0; i + 8 <= k.path.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, k.path.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, k.path.data() + (k.path.size() & ~size_t(7)), k.path.size() & 7);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  return size_t(h ^ (h >> 29));
}

} // namespace umlab::switchd
