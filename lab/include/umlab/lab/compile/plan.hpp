#pragma once
/// Stage 3, plan: `Topology` + `HostLayout` -> `LaunchPlan`, plain data that says exactly which
/// processes the launcher starts, with which arguments, in which order. Deterministic: the same
/// input gives a byte-identical plan (golden-tested in tests/golden/), so nothing here reads the
/// clock, the environment or a pointer value.
///
/// The lab's state directory (DESIGN.md §5) is laid out as
///
///   <stateRoot>/<lab>/            mode 0700, one per lab
///     sw/<segment>.ctl            umlab-switchd control socket (daemon transport)
///     sw/<segment>.bess           its seqpacket socket (bess transport), when used
///     sw/<segment>.mon            its read-only monitor socket, when the segment is mirrored
///     sw/<segment>.admin          its text admin socket
///     cow/<node>.cow              the node's copy-on-write file over the shared base image
///     nodes/<node>/config.img     the node's read-only config disk (kernel/node_config.hpp)
///     uml/                        UML's uml_dir: mconsole sockets and pid files
///     log/<node>.log              console output
///     captures/timeline.<N>.pcap  the capture of `timeline:` entry N's replay, copied at start
///
/// Point-to-point links are two-port umlab-switchd hubs named p2p.<link number>, so that their
/// delay, loss and rate work as on any segment. A port's conditions apply to frames in both
/// directions through it; a link's conditions therefore sit on the guest's port for links to a
/// segment, and on the first end's port only for point-to-point links, so that every frame
/// meets them once.
///
/// The k-th mcast segment of a lab (k from 1) gets group 239.192.<k / 256>.<k % 256> and UDP
/// port 1101 + k. mcast runs only inside the lab's network namespace, where the multicast
/// route stays on `lo` and nothing leaves the machine (DESIGN.md §1).

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/topology.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace umlab::lab {

/// Where things are on the host running the lab.
struct HostLayout {
  std::string stateRoot; ///< a lab's state directory is <stateRoot>/<lab>
  std::string kernel;    ///< linux.uml
  std::string imageDir;  ///< the base image of image X is <imageDir>/<X>/rootfs.img
  std::string switchd;   ///< the umlab-switchd executable
  /// For the images the topology defines: image name -> its build's directory under imageDir
  /// ("web-<hash>"), filled by `locateTopologyImages` (topology_images.hpp). An image missing
  /// here is found through the <imageDir>/<X> link.
  std::map<std::string, std::string> imageDirs;
  /// The binary of `kernel: umlab` (kernel_store.hpp): the build <cache>/kernels/umlab points at
  /// (resolved, so that the plan names the build), or that link's path when there is none. Empty:
  /// <imageDir>/../kernels/umlab/linux.
  std::string umlabKernel;
  /// Read-only images root builds for every user (kernel/system_images.hpp), looked up after
  /// imageDir.
  std::string systemImageDir;
  /// Image name -> the directory of images that holds its build (imageDir or systemImageDir),
  /// filled by `locateTopologyImages`. An image missing here is in imageDir.
  std::map<std::string, std::string> imageRoots;
};

/// The layout for this process: the first of its state roots (runtime/state_roots.hpp:
/// $UMLAB_STATE_DIR, else $XDG_RUNTIME_DIR/umlab, else /run/umlab for root and /tmp/umlab-<uid>
/// for others); $UMLAB_KERNEL or /usr/bin/linux.uml;
/// $UMLAB_CACHE_DIR (else $XDG_CACHE_HOME/umlab or ~/.cache/umlab) + /images, and + /kernels/umlab
/// for `kernel: umlab`; $UMLAB_SYSTEM_IMAGES or /var/lib/umlab/images for the system's images;
/// umlab-switchd beside `selfPath`.
HostLayout hostLayoutFromEnvironment(const std::string& selfPath);

/// The kernel cache (kernel_store.hpp): `kernels` beside the layout's image directory.
std::string kernelCacheDir(const HostLayout& host);

struct PortPlan {
  std::string name; ///< "pc1:eth0", or "trunk:<segment>"
  std::string mac;  ///< empty for trunks
  LinkConditions conditions;

  bool operator==(const PortPlan&) const = default;
};

/// The descriptor a switch inherits attached to its mirror tap (`--mirror-tap DEVICE:3`).
inline constexpr int kMirrorTapFd = 3;
/// The descriptor a switch inherits bound to its VXLAN address (`--vxlan-socket 4`): the
/// supervisor binds it in the host's network namespace, before it enters the lab's.
inline constexpr int kVxlanFd = 4;

/// One remote end of a segment's VXLAN tunnels: the segment's switch on another host.
struct VxlanPeer {
  std::string name;    ///< the port's name on this switch: "vxlan:<host>"
  std::string address; ///< "10.77.0.12:4790"

  bool operator==(const VxlanPeer&) const = default;
};

/// A segment whose ports lie on several hosts (a lab placed by an engine, shard_plan.hpp): this
/// host's switch joins the others over VXLAN (RFC 7348), one VNI per segment.
struct VxlanPlan {
  uint32_t vni = 0;
  std::string local; ///< "10.77.0.11:4790": the address the supervisor binds for the switch
  std::vector<VxlanPeer> peers;

  bool operator==(const VxlanPlan&) const = default;
};

struct SwitchPlan {
  std::string segment;
  std::string mode; ///< "switch" or "hub"
  bool implicit = false; ///< a point-to-point link
  std::string transport; ///< "daemon" or "bess"
  std::string ctlPath;
  std::string bessPath;    ///< empty unless transport is bess
  std::string monitorPath; ///< empty unless the segment has a (daemon) monitor
  /// A tap device in the lab's namespace that the switch copies every frame to, where monitors on
  /// UML's pcap transport listen (`filter:`); empty when the segment has none. The supervisor
  /// creates it before the switch starts.
  std::string mirrorTap;
  std::string adminPath;
  std::vector<std::string> uplinks; ///< control sockets of earlier switches this one joins
  std::vector<PortPlan> ports;
  std::vector<std::string> argv;
  std::optional<VxlanPlan> vxlan; ///< a shard's part of a segment that spans hosts

  bool operator==(const SwitchPlan&) const = default;
};

struct McastPlan {
  std::string segment;
  std::string group;
  uint16_t port = 0;
  uint8_t ttl = 1;
  std::vector<std::string> members;

  bool operator==(const McastPlan&) const = default;
};

struct TapPlan {
  std::string device;
  std::string interface; ///< "r1:eth2"

  bool operator==(const TapPlan&) const = default;
};

struct InterfacePlan {
  std::string name;   ///< "eth0", as the user wrote it
  std::string device; ///< "eth0" or "vec0": what the guest kernel calls it before umlab-init renames it
  std::string mac;
  std::string ip;      ///< "10.0.0.1/24" or empty
  std::string gateway; ///< or empty
  std::string attachedTo; ///< "switch lan", "mcast wan", "tap umt0", "monitor lan"
  std::string transport;
  std::string umlArg;
  LinkConditions conditions;
  std::string tapDevice; ///< for a `host` link: the tap device the launcher opens...
  int tapFd = -1;        ///< ...and hands to the guest as this descriptor (kFirstTapFd + k)

  bool operator==(const InterfacePlan&) const = default;
};

/// The descriptor numbers guests receive their tap devices on: 10, 11, ... (0 to 3 are the
/// consoles and the agent's serial line).
inline constexpr int kFirstTapFd = 10;

struct RoutePlan {
  std::string to; ///< "default" or a prefix
  std::string via;

  bool operator==(const RoutePlan&) const = default;
};

/// A monitor's interface (daemon or pcap): it only listens, and the guest keeps it silent.
inline bool isMonitorInterface(const InterfacePlan& i) {
  return i.transport == "pcap" || i.attachedTo.rfind("monitor ", 0) == 0;
}

struct GuestPlan {
  std::string name;
  std::string kind;
  std::string umid;
  uint64_t memoryBytes = 0;
  std::string image;
  std::string kernel = "debian"; ///< the node's `kernel:`; argv[0] is its binary
  std::string cowPath;
  std::string basePath;
  std::string configDisk;
  std::string logPath;
  bool forwarding = false;
  std::vector<InterfacePlan> interfaces;
  std::vector<RoutePlan> routes;
  std::vector<std::string> startup;
  std::vector<std::string> shutdown; ///< run by the guest's init when it powers off (config disk /shutdown.sh)
  std::vector<std::pair<std::string, std::string>> sysctls; ///< {name, value}, applied in order at boot
  std::string mountPoint, mountHostDir; ///< hostfs: host dir mountHostDir at guest dir mountPoint
  std::vector<GuestFile> files;
  std::vector<std::string> dependsOn; ///< guests that must be ready before this one starts
  std::vector<std::string> argv;
  std::optional<uint32_t> host; ///< placed on several hosts (`umlab plan --hosts`): which one, from 0

  bool operator==(const GuestPlan&) const = default;
};

struct ReplayPlan {
  std::string segment;
  std::string pcapPath;
  std::string adminPath; ///< the switch that injects it
  double speed = 1;
  uint32_t loop = 1;
  bool rewriteMac = false;
  /// With rewriteMac: the MAC that unicast frames of the capture are sent to instead of their
  /// own destination, the segment's first forwarding node (router, firewall), else its first
  /// member; so that a capture made elsewhere reaches the lab's gateway.
  std::string rewriteTo;

  bool operator==(const ReplayPlan&) const = default;
};

/// One step of the lab's timeline (model/timeline.hpp) as the supervisor plays it: an entry's
/// ramp and repeats are expanded into steps, sorted by time (entries in file order at equal times).
struct TimelineStepPlan {
  int64_t atMs = 0;   ///< after the lab is ready
  size_t entry = 0;   ///< the `timeline:` entry it comes from (1-based)
  std::string action; ///< "link", "node", "run" or "replay"
  std::string target; ///< link: "r1:eth1"; node and run: "r1"; replay: "lan"
  /// link: the switch's condition words ("down", "up", "clear delay 50ms", "loss 6.67%");
  /// node: "crash", "restart", "stop" or "start"; run: the shell command
  std::string words;
  std::string adminPath; ///< link and replay: the switch that does it
  std::string port;      ///< link: its port on that switch
  std::string pcapPath;  ///< replay: the capture, and the copy the switch reads
  std::string pcapCopy;
  double speed = 1;
  uint32_t loop = 1;
  std::string what; ///< for people: "r1:eth1 down", "r1:eth0 loss 6.67% (ramp step 3 of 31)"

  bool operator==(const TimelineStepPlan&) const = default;
};

struct LaunchPlan {
  std::string lab;
  std::string sourcePath;
  std::string stateDir;
  std::string netns; ///< how to reach the lab's (unnamed) network namespace, for people
  std::vector<SwitchPlan> switches;
  std::vector<McastPlan> mcast;
  std::vector<TapPlan> taps;
  std::vector<GuestPlan> guests;
  std::vector<ReplayPlan> replays;
  std::vector<TimelineStepPlan> timeline; ///< sorted by atMs
  std::vector<std::string> startOrder; ///< "switch lan", "tap umt0", "guest pc1", "replay lan"
  /// Placed on several hosts (placement.hpp): how many, and the VXLAN tunnels that needs against
  /// round-robin placement. Absent for a lab on one host.
  struct Placement {
    uint32_t hosts = 0;
    uint64_t tunnels = 0;
    uint64_t roundRobinTunnels = 0;
    bool operator==(const Placement&) const = default;
  };
  std::optional<Placement> placement;

  bool operator==(const LaunchPlan&) const = default;
};

/// Fails (with diagnostics) only on host-dependent limits: a socket path longer than a unix
/// socket allows, or a path holding a character that UML's argument parser splits on.
std::optional<LaunchPlan> plan(const Topology& topology, const HostLayout& host, Diagnostics& diags);

constexpr size_t kMaxUnixPathLength = 107; // sizeof(sockaddr_un::sun_path) - 1

} // namespace umlab::lab
