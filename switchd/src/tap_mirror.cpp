#include "tap_mirror.hpp"

#include <charconv>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <system_error>

namespace umlab::switchd {

std::pair<std::string, UniqueFd> openMirrorTap(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string device = spec.substr(0, colon);
  if (colon != std::string::npos) {
    int inherited = -1;
    const std::string text = spec.substr(colon + 1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), inherited);
    if (ec != std::errc() || end != text.data() + text.size() || inherited < 3 || ::fcntl(inherited, F_GETFD) < 0)
      throw std::system_error(EBADF, std::generic_category(), "--mirror-tap " + spec + ": not an open descriptor");
    ::fcntl(inherited, F_SETFD, FD_CLOEXEC);
    ::fcntl(inherited, F_SETFL, ::fcntl(inherited, F_GETFL) | O_NONBLOCK);
    return {device, UniqueFd(inherited)};
  }
  if (device.empty() || device.size() >= IFNAMSIZ)
    throw std::system_error(EINVAL, std::generic_category(), "tap device name '" + device + "'");
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd)
    throw std::system_error(errno, std::generic_category(), "--mirror-tap " + device + ": open /dev/net/tun");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "--mirror-tap " + device + ": attach (TUNSETIFF; the device must exist and be owned by this user)");
  return {device, std::move(fd)};
}

} // namespace umlab::switchd
