#pragma once
// `umlab image build|ls` (image_command.cpp): the base images guests boot from.

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

inline constexpr const char* kImageHelp =
    "usage: umlab image build [--force] [--name NAME]\n"
    "       umlab image ls\n"
    "\n"
    "Build and list the base images guests boot from: Debian bookworm (minbase) with the lab\n"
    "tools (iproute2, iptables, tcpdump, iperf3, traceroute, net-tools, ...), the UML kernel's\n"
    "modules and umlab's boot shim, in one ext4 file that every guest reads through its own\n"
    "copy-on-write file. root's password in the guests is 'root'.\n"
    "\n"
    "commands:\n"
    "  build            build the image unless the one for the current recipe is cached; takes a\n"
    "                   few minutes and needs root (debootstrap, chroot) and the Debian mirror\n"
    "  ls               list built images: hash, size on disk and apparent size, build date, which\n"
    "                   one NAME points at, and whether it matches the current recipe\n"
    "\n"
    "options:\n"
    "  --force          build even when the image is cached\n"
    "  --name NAME      the name topologies use for the image (default 'debian'). The name\n"
    "                   'services' builds the variant for service labs: also dnsmasq,\n"
    "                   isc-dhcp-client, dnsutils, frr and bridge-utils (nodes: image: services)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Images live in $UMLAB_CACHE_DIR/images (default ~/.cache/umlab/images): each build in\n"
    "NAME-HASH/, and the symlink NAME points at the newest. Packages come from the host's apt\n"
    "mirror for bookworm (/etc/apt/sources.list and sources.list.d), else deb.debian.org.\n"
    "\n"
    "exit status: 0 built or cached, 1 the build failed, 2 usage error\n";

/// Runs `umlab image ...`; `args` excludes "image". Progress goes to `out` (rewritten in place
/// when `out` is std::cout on a terminal), errors to `err`. SIGINT, SIGTERM and SIGHUP are
/// blocked while a build runs and stop it cleanly: the tools are killed, the partial build is
/// removed, and the status is 1.
int runImageCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
