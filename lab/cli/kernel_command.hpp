#pragma once
// `umlab kernel build|ls` (kernel_command.cpp): umlab's own UML kernel (kernel/uml/).

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

inline constexpr const char* kKernelHelp =
    "usage: umlab kernel build [--force] [--jobs N]\n"
    "       umlab kernel ls\n"
    "\n"
    "Build and list umlab's own UML kernel, which nodes choose with 'kernel: umlab' (on a node, a\n"
    "kind or in 'defaults'). Debian's linux.uml ('kernel: debian', the default) lacks nftables'\n"
    "inet/ip/ip6 families, the pcap transport, and MAC changes on a running interface; umlab's\n"
    "kernel has them, built from Debian's kernel sources with the configuration and patches in\n"
    "umlab's kernel/uml/ (no modules: what guests need is built in).\n"
    "\n"
    "commands:\n"
    "  build            build the kernel unless the build of its current recipe is cached. Needs\n"
    "                   the packages linux-source-6.1 bc bison flex libelf-dev libpcap-dev (no\n"
    "                   root); a cold build takes about 15 minutes on 2 cores and 1.5 GB of disk\n"
    "                   while it runs (25 MB after)\n"
    "  ls               list Debian's kernel and every build in the cache: name, recipe hash,\n"
    "                   release, size, date, and which one 'kernel: umlab' boots\n"
    "\n"
    "options:\n"
    "  --force          build even when the kernel is cached\n"
    "  --jobs N         compile with N jobs (default: the number of CPUs)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Builds live in $UMLAB_CACHE_DIR/kernels (default ~/.cache/umlab/kernels): each in NAME-HASH/,\n"
    "where HASH covers the source package's version, the configuration and the patches, and the\n"
    "symlink 'umlab' points at the newest.\n"
    "\n"
    "exit status: 0 done, 1 the build failed, 2 usage error\n";

/// Runs `umlab kernel ...`; `args` excludes "kernel". Progress goes to `out` (rewritten in place on
/// a terminal), errors to `err`. SIGINT, SIGTERM and SIGHUP stop a build cleanly (status 1).
int runKernelCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
