#pragma once
/// A persistent tap device in the lab's network namespace: the host end of a `host` link.
///
/// Design notes
/// ------------
/// Guests run unprivileged and jailed, and Debian's /dev/net/tun is root's only (0600), so a
/// guest cannot open a tap itself. The supervisor (root, already inside the lab's namespace)
/// makes the device, persistent and owned by the lab's uid and gid, and attaches one descriptor
/// to it for the guest (`openForGuest`: IFF_TAP | IFF_NO_PI, no vnet header), which the guest
/// inherits and uses with UML's `fd` transport (`vecN:transport=fd,fd=F,vec=0`). The device is
/// brought up with no address: the host side is configured by whoever needs it
/// (`umlab host LAB -- ip addr add ... dev umt0`).
/// It lives in the lab's namespace only, so nothing on it reaches the host's own interfaces.
/// Destroying a `TapDevice` clears TUNSETPERSIST, which deletes the device.
///
/// A segment's mirror tap (`Mode::Mirror`) is where monitors on UML's pcap transport listen: the
/// segment's umlab-switchd writes a copy of every frame into it. Such a device must stay silent, or
/// the monitors would see the namespace's own chatter: it gets no IPv6 (no router solicitations,
/// no duplicate address detection) and IFF_NOARP, and never an address.

#include "umlab/base/unique_fd.hpp"

#include <string>
#include <sys/types.h>

namespace umlab::lab::runtime {

class TapDevice {
public:
  /// Creates (or takes over) the persistent tap `name`, owned by `uid`/`gid`, and sets it up.
  /// Throws std::system_error naming the device.
  enum class Mode { HostLink, Mirror };
  TapDevice(std::string name, uid_t uid, gid_t gid, Mode mode = Mode::HostLink);
  ~TapDevice();
  TapDevice(TapDevice&& o) noexcept : name_(std::move(o.name_)) { o.name_.clear(); }
  TapDevice& operator=(TapDevice&&) = delete;
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  const std::string& name() const { return name_; }

  /// A descriptor attached to the device, for a guest's `fd` transport (one frame per read and
  /// write, no header). A tap takes one such descriptor at a time. Throws std::system_error.
  UniqueFd openForGuest() const;

private:
  std::string name_;
};

} // namespace umlab::lab::runtime
