#include "umlab/lab/runtime/network_namespace.hpp"

#include "umlab/base/unique_fd.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <net/if.h>
#include <net/route.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <system_error>

namespace umlab::lab::runtime {

void enterLabNetworkNamespace() {
  if (::unshare(CLONE_NEWNET) != 0) {
    int e = errno;
    throw std::system_error(e, std::generic_category(),
                            e == EPERM ? "cannot create the lab's network namespace (it needs root or CAP_SYS_ADMIN; run "
                                         "umlab as root)"
                                       : "unshare(CLONE_NEWNET)");
  }
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s)
    throw std::system_error(errno, std::generic_category(), "socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
    throw std::system_error(errno, std::generic_category(), "SIOCGIFFLAGS lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_MULTICAST);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
    throw std::system_error(errno, std::generic_category(), "bring up lo with multicast");
  rtentry rt{};
  auto* dst = reinterpret_cast<sockaddr_in*>(&rt.rt_dst);
  auto* mask = reinterpret_cast<sockaddr_in*>(&rt.rt_genmask);
  dst->sin_family = AF_INET;
  dst->sin_addr.s_addr = htonl(0xe0000000u);
  mask->sin_family = AF_INET;
  mask->sin_addr.s_addr = htonl(0xf0000000u);
  rt.rt_flags = RTF_UP;
  char dev[] = "lo";
  rt.rt_dev = dev;
  if (::ioctl(s.get(), SIOCADDRT, &rt) != 0 && errno != EEXIST)
    throw std::system_error(errno, std::generic_category(), "add route 224.0.0.0/4 dev lo");
  // /proc/sys/net is the namespace of the process that opens it: this one's, now.
  UniqueFd qlen(::open("/proc/sys/net/unix/max_dgram_qlen", O_WRONLY | O_CLOEXEC));
  const std::string value = std::to_string(kLabDatagramQueueLength) + "\n";
  if (!qlen || ::write(qlen.get(), value.data(), value.size()) != ssize_t(value.size()))
    throw std::system_error(errno, std::generic_category(), "set net.unix.max_dgram_qlen in the lab's namespace");
}

} // namespace umlab::lab::runtime
