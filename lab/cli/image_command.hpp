#pragma once
// `umlab image build|ls|rm|prune` (image_command.cpp): the base images guests boot from.

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

inline constexpr const char* kImageHelp =
    "usage: umlab image build [--force] [--system] [--name NAME] [TOPOLOGY...]\n"
    "       umlab image ls [TOPOLOGY...]\n"
    "       umlab image rm [--system] NAME\n"
    "       umlab image prune [--dry-run] [--system]\n"
    "\n"
    "Build, list and remove the base images guests boot from: Debian bookworm (minbase) with the\n"
    "lab tools, the UML kernel's modules and umlab's boot shim, in one ext4 file that every guest\n"
    "reads through its own copy-on-write file. root's password in the guests is 'root'.\n"
    "\n"
    "commands:\n"
    "  build            build an image unless the one for its current recipe is cached (or in\n"
    "                   the system's directory); takes a few minutes and needs root (debootstrap,\n"
    "                   chroot) and the Debian mirror.\n"
    "                   Without TOPOLOGY: the built-in image NAME (default 'debian'). With\n"
    "                   TOPOLOGY: every image it defines under 'images:' and every built-in\n"
    "                   image its nodes use (only NAME with --name). A Kathara/Netkit lab\n"
    "                   directory is a TOPOLOGY too: its devices' images are built\n"
    "  ls               list every known recipe (built in, and those of the TOPOLOGY files) with\n"
    "                   its hash, whether it is built ('yes', or 'system' when only the system's\n"
    "                   directory has it), size on disk and apparent size; then the builds no\n"
    "                   listed recipe names, the system's marked '(system)'\n"
    "  rm NAME          remove every build of image NAME (or the one build NAME-HASH); refused\n"
    "                   while a running lab uses it\n"
    "  prune            remove every build no recipe names any more: kept are the builds of the\n"
    "                   built-in recipes as they are now, those running labs use, and those whose\n"
    "                   recorded topologies still define them with the same recipe\n"
    "\n"
    "options:\n"
    "  --force          build even when the image is cached\n"
    "  --name NAME      the image to build. Built in: debian (the default), services (also\n"
    "                   dnsmasq, isc-dhcp-client, dnsutils, frr, bridge-utils), kathara-base\n"
    "                   (the tools of Kathara's kathara/base) and kathara-frr (kathara-base and FRR)\n"
    "  --dry-run        prune: only say what would be removed\n"
    "  --system         build, rm, prune: the images every user shares, in $UMLAB_SYSTEM_IMAGES\n"
    "                   (default /var/lib/umlab/images), instead of your own; root only\n"
    "  -h, --help       show this help\n"
    "\n"
    "Images live in $UMLAB_CACHE_DIR/images (default ~/.cache/umlab/images): each build in\n"
    "NAME-HASH/, where HASH covers the whole recipe (packages, files' contents, commands, size,\n"
    "kernel), and the symlink NAME points at the newest. Packages come from the host's apt\n"
    "mirror for bookworm (/etc/apt/sources.list and sources.list.d), else deb.debian.org.\n"
    "Labs look for an image in your own directory first, then read-only in the system's, which\n"
    "root fills with 'umlab image build --system' (directories 0755, files readable by all), so\n"
    "that every user of the machine shares one build.\n"
    "\n"
    "exit status: 0 done, 1 a build or removal failed (or a topology has errors), 2 usage error\n";

/// Why a user who is not root (`isRoot` false) cannot run `umlab image ARGS` (`args` starts with
/// the command: "build", "rm" or "prune"), as what to run instead; empty when they can. Building
/// needs root (debootstrap, chroot), and `--system` changes the images every user shares in
/// `systemDir` (kernel/system_images.hpp); removing from one's own cache needs nothing.
std::string imageRootProblem(bool isRoot, const std::string& systemDir, const std::vector<std::string>& args);

/// Runs `umlab image ...`; `args` excludes "image". Progress goes to `out` (rewritten in place
/// when `out` is std::cout on a terminal), errors to `err`. SIGINT, SIGTERM and SIGHUP are
/// blocked while a build runs and stop it cleanly: the tools are killed, the partial build is
/// removed, and the status is 1.
int runImageCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
