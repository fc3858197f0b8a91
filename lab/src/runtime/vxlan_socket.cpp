#include "umlab/lab/runtime/vxlan_socket.hpp"

#include "umlab/lab/runtime/runtime_error.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

namespace umlab::lab::runtime {

UniqueFd bindVxlanSocket(const std::string& address, const std::string& segment) {
  const std::string what = "the VXLAN socket of segment '" + segment + "' on " + address;
  const size_t colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  unsigned port = 0;
  const char* portBegin = address.data() + colon + 1;
  const char* portEnd = address.data() + address.size();
  if (colon == std::string::npos || ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr) != 1 ||
      std::from_chars(portBegin, portEnd, port).ptr != portEnd || port == 0 || port > 65535)
    throw RuntimeError(what + ": not an IPv4 ADDRESS:PORT");
  sa.sin_port = htons(uint16_t(port));
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd)
    throw RuntimeError(what + ": socket: " + std::strerror(errno));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int e = errno;
    std::string hint;
    if (e == EADDRINUSE)
      hint = " (another lab on this host uses the port: start this one with another --vxlan-port)";
    else if (e == EADDRNOTAVAIL)
      hint = " (this host has no such address: the engine's node address must be one of the host's)";
    throw RuntimeError(what + ": bind: " + std::strerror(e) + hint);
  }
  return fd;
}

} // namespace umlab::lab::runtime
