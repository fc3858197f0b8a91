#include "umlab/lab/runtime/tap_device.hpp"

#include "umlab/base/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace umlab::lab::runtime {
namespace {

[[noreturn]] void fail(const std::string& device, const std::string& what) {
  throw std::system_error(errno, std::generic_category(), "tap device " + device + ": " + what);
}

UniqueFd attach(const std::string& name, short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd)
    fail(name, "open /dev/net/tun (is the tun module loaded?)");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = flags;
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
    fail(name, "TUNSETIFF");
  return fd;
}

} // namespace

TapDevice::TapDevice(std::string name, uid_t uid, gid_t gid, Mode mode) : name_(std::move(name)) {
  if (name_.empty() || name_.size() >= IFNAMSIZ)
    throw std::system_error(EINVAL, std::generic_category(), "tap device name '" + name_ + "'");
  UniqueFd fd = attach(name_);
  if (::ioctl(fd.get(), TUNSETOWNER, static_cast<unsigned long>(uid)) != 0)
    fail(name_, "TUNSETOWNER");
  if (::ioctl(fd.get(), TUNSETGROUP, static_cast<unsigned long>(gid)) != 0)
    fail(name_, "TUNSETGROUP");
  if (::ioctl(fd.get(), TUNSETPERSIST, 1UL) != 0)
    fail(name_, "TUNSETPERSIST");
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
    fail(name_, "SIOCGIFFLAGS");
  if (mode == Mode::Mirror) {
    // Silent: no IPv6 on it (written before it is up, so no DAD or solicitation ever leaves), no ARP.
    const std::string sysctl = "/proc/sys/net/ipv6/conf/" + name_ + "/disable_ipv6";
    if (UniqueFd f{::open(sysctl.c_str(), O_WRONLY | O_CLOEXEC)}; f && ::write(f.get(), "1", 1) != 1)
      fail(name_, "write " + sysctl);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_NOARP);
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
    fail(name_, "set up");
}

UniqueFd TapDevice::openForGuest() const { return attach(name_, IFF_TAP | IFF_NO_PI); }

TapDevice::~TapDevice() {
  if (name_.empty())
    return;
  try {
    UniqueFd fd = attach(name_);
    ::ioctl(fd.get(), TUNSETPERSIST, 0UL); // closing the last fd then deletes the device
  } catch (const std::system_error&) {
    // The namespace is going away with the lab; its devices go with it.
  }
}

} // namespace umlab::lab::runtime
