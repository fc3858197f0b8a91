#pragma once
/// Which `ip` and `ifconfig` command lines change an interface's MAC address.
///
/// Why it matters: Kathara (Docker) brings every interface up before a lab's startup runs, and
/// labs then change MACs on the running interface (`ip link set dev eth0 address 00:00:00:00:00:01`,
/// `ifconfig eth0 hw ether 00:00:00:00:00:01`). UML's network drivers refuse a MAC change on a
/// running device (EBUSY). umlab-init puts small wrappers for `ip` and `ifconfig` first on PATH
/// (umlab_init.cpp); they run the real tool and, only when it fails on a command this file
/// recognises while the device is up, take the device down, run the command again and bring
/// the device back up. This file is the pure part: recognising the command line.
///
/// Recognised (the words after the program name):
///   ip [-4|-6|-d|-s|-o|-br|-c...] link|l|li|lin set|s|se [dev] <dev> ... address|addr|... <mac> ...
///   ifconfig <dev> hw ether <mac> [more ifconfig words]
/// Anything else (including `ip -n <netns> ...`, `ip -batch`) is not a MAC change here.

#include <optional>
#include <string>
#include <vector>

namespace umlab::kernel {

struct MacChange {
  std::string device;
  std::string mac;

  bool operator==(const MacChange&) const = default;
};

/// `tool` is "ip" or "ifconfig"; `args` are the words after it.
std::optional<MacChange> recognizeMacChange(const std::string& tool, const std::vector<std::string>& args);

} // namespace umlab::kernel
