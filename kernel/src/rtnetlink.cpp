#include "umlab/kernel/rtnetlink.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

namespace umlab::kernel {

namespace {

/// A request under construction: header, fixed part, attributes, in one aligned buffer.
struct Message {
  alignas(NLMSG_ALIGNTO) char buffer[512];
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer); }

  Message(uint16_t type, uint16_t flags, const void* body, size_t bodyLength) {
    std::memset(buffer, 0, sizeof buffer);
    header()->nlmsg_type = type;
    header()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    header()->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(bodyLength));
    std::memcpy(NLMSG_DATA(header()), body, bodyLength);
  }

  void add(uint16_t type, const void* data, size_t length) {
    const size_t at = NLMSG_ALIGN(header()->nlmsg_len);
    auto* attribute = reinterpret_cast<rtattr*>(buffer + at);
    attribute->rta_type = type;
    attribute->rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
    std::memcpy(RTA_DATA(attribute), data, length);
    header()->nlmsg_len = static_cast<uint32_t>(at + RTA_ALIGN(attribute->rta_len));
  }
};

/// An address with its prefix length: `ip address add` / `ip route add` forms.
struct Prefix {
  int family = 0;
  unsigned char bytes[16] = {};
  unsigned length = 0;
};

bool parsePrefix(const std::string& text, Prefix& p) {
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  p.family = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (::inet_pton(p.family, address.c_str(), p.bytes) != 1)
    return false;
  const unsigned most = p.family == AF_INET ? 32 : 128;
  p.length = most;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    char* end = nullptr;
    const unsigned long n = std::strtoul(bits.c_str(), &end, 10);
    if (bits.empty() || *end != '\0' || n > most)
      return false;
    p.length = static_cast<unsigned>(n);
  }
  return true;
}

size_t addressSize(int family) { return family == AF_INET ? 4 : 16; }

} // namespace

RtNetlink::RtNetlink() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (fd_.get() < 0)
    openError_ = std::string("netlink socket: ") + std::strerror(errno);
}

std::string RtNetlink::request(void* message, size_t length) {
  if (!ok())
    return openError_;
  auto* header = static_cast<nlmsghdr*>(message);
  header->nlmsg_seq = ++sequence_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), message, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return std::string("netlink send: ") + std::strerror(errno);
  alignas(NLMSG_ALIGNTO) char reply[8192];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return std::string("netlink receive: ") + std::strerror(errno);
    const size_t size = static_cast<size_t>(n);
    for (size_t at = 0; at + sizeof(nlmsghdr) <= size;) {
      const auto* h = reinterpret_cast<const nlmsghdr*>(reply + at);
      if (h->nlmsg_len < sizeof(nlmsghdr) || at + h->nlmsg_len > size)
        break;
      at += NLMSG_ALIGN(h->nlmsg_len);
      if (h->nlmsg_seq != sequence_ || h->nlmsg_type != NLMSG_ERROR)
        continue;
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      return e->error == 0 ? std::string() : std::string(std::strerror(-e->error));
    }
  }
}

std::string RtNetlink::changeLink(const std::string& device, unsigned flags, unsigned change,
                                  const std::string& newName, const std::string& mac) {
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  link.ifi_index = static_cast<int>(::if_nametoindex(device.c_str()));
  if (link.ifi_index == 0)
    return "no network device '" + device + "'";
  link.ifi_flags = flags;
  link.ifi_change = change;
  Message m(RTM_NEWLINK, 0, &link, sizeof link);
  if (!newName.empty()) {
    if (newName.size() >= IFNAMSIZ)
      return "name '" + newName + "' is longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
    m.add(IFLA_IFNAME, newName.c_str(), newName.size() + 1);
  }
  if (!mac.empty()) {
    unsigned char bytes[6];
    unsigned values[6];
    char extra = 0;
    if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &values[0], &values[1], &values[2], &values[3],
                    &values[4], &values[5], &extra) != 6)
      return "'" + mac + "' is not a MAC address";
    for (int i = 0; i < 6; ++i)
      bytes[i] = static_cast<unsigned char>(values[i]);
    m.add(IFLA_ADDRESS, bytes, sizeof bytes);
  }
  return request(m.buffer, m.header()->nlmsg_len);
}

std::string RtNetlink::setUp(const std::string& device) { return changeLink(device, IFF_UP, IFF_UP, "", ""); }

std::string RtNetlink::setNoArp(const std::string& device) {
  return changeLink(device, IFF_NOARP, IFF_NOARP, "", "");
}

std::string RtNetlink::rename(const std::string& device, const std::string& newName) {
  return changeLink(device, 0, 0, newName, "");
}

std::string RtNetlink::setMac(const std::string& device, const std::string& mac) {
  return changeLink(device, 0, 0, "", mac);
}

std::string RtNetlink::addAddress(const std::string& device, const std::string& cidr) {
  Prefix p;
  if (!parsePrefix(cidr, p))
    return "'" + cidr + "' is not an address with a prefix length";
  ifaddrmsg address{};
  address.ifa_family = static_cast<unsigned char>(p.family);
  address.ifa_prefixlen = static_cast<unsigned char>(p.length);
  // As `ip` does: the kernel takes a loopback address (127/8) only in host scope.
  address.ifa_scope = p.family == AF_INET && p.bytes[0] == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  address.ifa_index = ::if_nametoindex(device.c_str());
  if (address.ifa_index == 0)
    return "no network device '" + device + "'";
  Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &address, sizeof address);
  m.add(IFA_LOCAL, p.bytes, addressSize(p.family));
  m.add(IFA_ADDRESS, p.bytes, addressSize(p.family));
  return request(m.buffer, m.header()->nlmsg_len);
}

std::string RtNetlink::addRoute(const std::string& destination, const std::string& gateway) {
  Prefix via;
  if (!parsePrefix(gateway, via) || via.length != (via.family == AF_INET ? 32u : 128u))
    return "'" + gateway + "' is not a gateway address";
  Prefix to;
  if (destination == "default") {
    to.family = via.family;
    to.length = 0;
  } else if (!parsePrefix(destination, to)) {
    return "'" + destination + "' is not a destination (default or an address with a prefix length)";
  }
  if (to.family != via.family)
    return "the destination " + destination + " and the gateway " + gateway + " are not of one family";
  rtmsg route{};
  route.rtm_family = static_cast<unsigned char>(to.family);
  route.rtm_dst_len = static_cast<unsigned char>(to.length);
  route.rtm_table = RT_TABLE_MAIN;
  route.rtm_protocol = RTPROT_BOOT;
  route.rtm_scope = RT_SCOPE_UNIVERSE;
  route.rtm_type = RTN_UNICAST;
  Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &route, sizeof route);
  if (to.length > 0)
    m.add(RTA_DST, to.bytes, addressSize(to.family));
  m.add(RTA_GATEWAY, via.bytes, addressSize(via.family));
  return request(m.buffer, m.header()->nlmsg_len);
}

} // namespace umlab::kernel
