#pragma once
/// What a guest needs to configure itself at boot, written by the host into the node's config
/// disk and read by `umlab-init` in the guest.
///
/// The config disk is a small read-only ext4 image (`ubd1r=<state>/nodes/<node>/config.img`,
/// made with `mkfs.ext4 -d`, no loop mount) holding:
///
///   /node.conf      this file, in the line format below
///   /startup.sh     the node's `startup` commands, one per line, run by one /bin/sh after the
///                   network is up; each is echoed and its output shown on the console, and a
///                   failing command is reported while the rest still run
///   /shutdown.sh    the node's `shutdown` commands, same format, run the same way when the
///                   guest powers off or reboots (output prefixed `shutdown:`), for at most 10 s,
///                   before init kills what is left; optional
///   /files/...      the node's `files`, copied onto the guest's root at boot like `cp -a`, except
///                   that directories which exist keep their mode and owner and every copy is
///                   owned by root (the host may make the disk unprivileged)
///   /bin/umlab-init, /bin/umlab-agent   the guest programs, static binaries of this build
///
/// The base image only holds `/sbin/umlab-boot`, a shim that mounts the config disk on
/// /run/umlab and execs its umlab-init, so that a new build of init or agent never needs a new
/// base image.
///
/// node.conf is UTF-8 text, one directive per line, fields separated by single spaces:
///
///   hostname <name>
///   forwarding 0|1
///   iface <name> <device> <mac> <address/prefix or ->   e.g. "iface eth1 vec1 02:..:01 10.0.0.1/24"
///   route <destination or default> <gateway>
///   sysctl <name> <value>     e.g. "sysctl net.ipv4.conf.eth0.rp_filter 0"; the value is the
///                             rest of the line and may hold spaces ("net.ipv4.ping_group_range 0 0")
///   listen <name>             the interface only listens (a monitor): no IPv6 and no ARP on it,
///                             set before it comes up, so that its tcpdump shows the segment's
///                             frames and none of the guest's own
///   mount <guest dir>         mount UML hostfs there (the host directory is the kernel's
///                             `hostfs=<host dir>` argument, which the host adds); at most one
///
/// Lines starting with '#' and empty lines are ignored. `iface` lines rename <device> to <name>
/// (vector transports appear as vecN) and set its MAC before bringing it up. `sysctl` lines are
/// written to /proc/sys/<name with '.' as '/'> in file order, after the interfaces are renamed
/// and up and after `forwarding` (so they override it), before the files are copied; a failing
/// one is reported and the rest still apply. The hostfs mount is made before the files are
/// copied, so `files` may put things under it. `..` in guest paths stays in the guest, but the
/// hostfs prefix is no boundary for guest root (`mount -t hostfs -o ../.. hostfs /mnt`, UML.md
/// §8): under `umlab up` the UML process runs in a jail that holds only the system's programs,
/// the lab's state and this host directory (bound writable, supervisor.cpp), as the lab's uid,
/// which then owns what the guest writes there.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace umlab::kernel {

struct NodeConfig {
  struct Iface {
    std::string name;   ///< "eth0"
    std::string device; ///< "eth0" or "vec0"
    std::string mac;
    std::string address; ///< "10.0.0.1/24" or empty
  };
  struct Route {
    std::string destination; ///< "default" or a prefix
    std::string gateway;
  };
  std::string hostname;
  bool forwarding = false;
  std::vector<Iface> ifaces;
  std::vector<Route> routes;
  std::vector<std::pair<std::string, std::string>> sysctls; ///< {"net.ipv4.ip_forward", "1"}, in order
  std::vector<std::string> listenOnly; ///< interfaces (names of `ifaces`) that only listen
  std::string mountPoint; ///< where hostfs is mounted; none when empty
};

std::string renderNodeConfig(const NodeConfig& config);
/// nullopt (with `error` set to "line N: ...") when the text is not a valid node.conf.
std::optional<NodeConfig> parseNodeConfig(const std::string& text, std::string* error = nullptr);

} // namespace umlab::kernel
