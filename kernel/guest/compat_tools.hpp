#pragma once
/// Programs that Kathara/Netkit labs expect and a umlab guest lacks or cannot run as labs use
/// them, provided by umlab-init itself under other names (multi-call, like halt/poweroff):
///
///   ip, ifconfig   wrappers in /run/umlab-compat/bin, first on the PATH of everything init
///                  starts: they exec the real tool (/usr/sbin/ip, ..., by absolute path), and
///                  only for a MAC change (mac_change.hpp) run it as a child, so that when it
///                  fails on a device that is up (UML's drivers answer EBUSY) they can take the
///                  device down, run the same command again and bring the device up. IPv4
///                  addresses survive that; IPv6 addresses are kept by setting the device's
///                  keep_addr_on_down for the moment; routes through the device are lost (labs
///                  change MACs first in startup, before they add routes). The retry's result
///                  is the result: a failing retry prints its own error.
///   systemctl      service_unit.hpp; linked as /usr/bin/systemctl when the image has none
///   service        `service <name> <verb>`, the same as `systemctl <verb> <name>`; linked as
///                  /usr/sbin/service only when the image has none (init-system-helpers' own
///                  runs /etc/init.d scripts by itself when /run/systemd/system is absent)

#include <string>
#include <vector>

namespace umlab::guest {

int runNetWrapper(const std::string& tool, const std::vector<std::string>& args);
int runSystemctl(const std::vector<std::string>& args);
int runService(const std::vector<std::string>& args);

} // namespace umlab::guest
