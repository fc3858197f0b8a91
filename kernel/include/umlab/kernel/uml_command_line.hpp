#pragma once
/// The command line of one UML guest (DESIGN.md §1, UML.md §5 and §7).
///
///   <kernel> umid=<lab>.<node> uml_dir=<dir> mem=<size> ubd0=<cow>,<base> ubd1r=<config disk>
///            root=/dev/ubda rw con=null con0=fd:0,fd:1 ssl=null ssl1=fd:3 init=<init>
///            initcall_blacklist=raid6_select_algo,init_zswap cryptomgr.notests
///            <net args...> <extra...>
///
/// `ubd0=<cow>,<base>` makes every guest write to its own COW file over one shared base image:
/// the base is never written. Debian's default consoles (`con1..15`, `ssl`) are invalid on these
/// hosts, so every console is set explicitly: the main console on the guest's stdin/stdout, and
/// serial line 1 on fd 3, the agent channel that `umlab exec` uses.
///
/// Boot cost: Debian's UML kernel benchmarks its RAID6 algorithms at every boot, a busy loop
/// of 16 jiffies per algorithm that at HZ=100 took 0.9 s of a 1.7 s boot; lab guests never
/// use RAID6 (nor zswap, another 0.1 s, nor the crypto self-tests), so those initcalls are
/// skipped: one guest is ready in about 0.8 s instead of 1.7 s. The config disk (read-only,
/// `ubd1r`) carries what the guest needs to configure itself (node_config.hpp).

#include <cstdint>
#include <string>
#include <vector>

namespace umlab::kernel {

struct GuestSpec {
  std::string kernel;              ///< path of linux.uml
  std::string umid;                ///< "<lab>.<node>"
  std::string umlDir;              ///< where UML puts the mconsole socket and pid file
  uint64_t memoryBytes = 96ULL << 20;
  std::string cowPath;
  std::string basePath;            ///< the shared, read-only base image
  std::string configDisk;          ///< the node's read-only config disk; none when empty
  std::string init = "/sbin/umlab-boot";
  std::vector<std::string> netArgs;   ///< rendered by transports::renderUmlDeviceArg
  std::vector<std::string> extraArgs; ///< appended last, e.g. "umlab.node=pc1"
};

/// argv[0] is the kernel; the order is fixed so that plans are byte-identical across runs.
std::vector<std::string> umlCommandLine(const GuestSpec& spec);

} // namespace umlab::kernel
