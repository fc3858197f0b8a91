#pragma once
/// The resolved topology: typed, validated, defaults applied (stage 2's output). Pure data with
/// no runtime handles (Kathará's lesson), so the CLI, the GUI and the planner share it.
///
/// Point-to-point links become implicit two-member segments, so every interface is attached to
/// exactly one segment, one tap, or nothing.

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/base/source.hpp"
#include "umlab/lab/model/timeline.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab {

using NodeIndex = uint32_t;
using SegmentIndex = uint32_t;

enum class SegmentType : uint8_t { Switch, Hub, Mcast, PointToPoint };
enum class SwitchTransport : uint8_t { Daemon, Bess };

const char* segmentTypeName(SegmentType t);

struct Layout {
  double x = 0;
  double y = 0;
};

struct Attachment {
  enum class Kind : uint8_t { Segment, Tap } kind = Kind::Segment;
  SegmentIndex segment = 0; ///< Kind::Segment
  uint32_t tap = 0;         ///< Kind::Tap: index into Topology::taps
};

struct Interface {
  std::string name;   ///< "eth0"
  unsigned index = 0; ///< 0 for eth0
  MacAddress mac;
  bool macDerived = true;
  std::optional<IpPrefix> ip;
  std::optional<IpAddress> gateway;
  Attachment attachment;
  bool isMonitor = false; ///< read-only mirror of a segment
  /// A monitor on UML's pcap transport (`filter:`; kernel: umlab only): it listens with this libpcap
  /// filter ("" for every frame) on its segment's mirror tap.
  std::optional<std::string> pcapFilter;
  LinkConditions conditions;
  SourceLoc loc;
};

struct Route {
  std::optional<IpPrefix> to; ///< nullopt: the default route
  IpAddress via;
  SourceLoc loc;
};

struct GuestFile {
  std::string guestPath;
  std::string hostPath; ///< absolute or relative to the working directory
  SourceLoc loc;

  /// The same file at the same place; where it was declared is not part of the value.
  bool operator==(const GuestFile& o) const { return guestPath == o.guestPath && hostPath == o.hostPath; }
};

/// A sysctl the guest sets at boot (`net.ipv4.conf.all.rp_filter` = `0`).
struct Sysctl {
  std::string name;
  std::string value;
  bool operator==(const Sysctl&) const = default;
};

/// A host directory the guest mounts through UML's hostfs.
struct GuestMount {
  std::string guestPath; ///< "/shared"
  std::string hostPath;  ///< absolute
  SourceLoc loc;
  bool operator==(const GuestMount& o) const { return guestPath == o.guestPath && hostPath == o.hostPath; }
};

struct Node {
  std::string name;
  std::string kind;
  std::string description;
  uint64_t memoryBytes = 0;
  std::string image;
  std::string kernel = "debian"; ///< "debian" (linux.uml) or "umlab" (kernel_recipe.hpp)
  bool forwarding = false;
  std::vector<std::string> startup;
  std::vector<std::string> shutdown;    ///< run when the guest powers off (`umlab down`)
  std::vector<Sysctl> sysctls;          ///< merged by name: defaults < kind < node
  std::optional<GuestMount> mount;      ///< at most one (hostfs has one root per guest)
  std::vector<std::string> dependsOn;   ///< nodes that must be ready before this one boots
  std::vector<GuestFile> files;
  std::vector<Route> routes;
  std::vector<Interface> interfaces; ///< sorted by index
  std::optional<Layout> layout;
  SourceLoc loc;

  const Interface* findInterface(unsigned index) const;
};

/// A node's interface, named by its node and its number (the N of ethN).
struct Member {
  NodeIndex node = 0;
  uint32_t interface = 0;
};

struct Segment {
  std::string name;
  SegmentType type = SegmentType::Switch;
  SwitchTransport transport = SwitchTransport::Daemon;
  std::string description;
  /// Frames come into it from outside the lab (`umlab replay --through` plays a capture's hosts
  /// here), so one member is expected and not warned about.
  bool injected = false;
  std::vector<Member> members;  ///< in link order; monitors are not members
  std::vector<Member> monitors; ///< read-only ports
  std::optional<Layout> layout;
  SourceLoc loc;
};

/// A link between two switch or hub segments (switch to switch cascading).
struct Trunk {
  SegmentIndex a = 0;
  SegmentIndex b = 0;
  LinkConditions conditions;
  SourceLoc loc;
};

/// A link from a guest to a tap device in the lab's namespace (`endpoints: [r1:eth2, host]`).
struct Tap {
  NodeIndex node = 0;
  uint32_t interface = 0; ///< the N of ethN
  SourceLoc loc;
};

struct Replay {
  SegmentIndex segment = 0;
  std::string pcapPath;
  double speed = 1.0;
  uint32_t loop = 1;
  bool rewriteMac = false;
  SourceLoc loc;
};

/// A text and where it was written.
struct LocatedText {
  std::string text;
  SourceLoc loc;

  bool operator==(const LocatedText& o) const { return text == o.text; }
};

/// An image the topology defines under `images:` (docs/topology.md): what it adds to its parent.
/// `umlab image build FILE` builds it (topology_images.hpp turns it into a kernel recipe); nodes
/// name it in `image:` like a built-in one.
struct TopologyImage {
  std::string name;
  SourceLoc loc;
  LocatedText from;                   ///< a built-in image or another entry; "debian" when not given
  std::vector<LocatedText> packages;  ///< extra Debian packages, in order
  std::vector<GuestFile> files;       ///< host paths resolved against the topology's directory
  std::vector<LocatedText> commands;  ///< `run:`, in order
  LocatedText size;                   ///< mkfs.ext4's size ("2G"); empty text: the parent's
};

struct Topology {
  std::string name;
  std::string description;
  std::string sourcePath;
  std::vector<Node> nodes;
  std::vector<Segment> segments; ///< declared segments first, then implicit point-to-point ones
  std::vector<Trunk> trunks;
  std::vector<Tap> taps;
  std::vector<Replay> replays;
  std::vector<TopologyImage> images; ///< in file order
  std::vector<TimelineEvent> timeline; ///< in file order (timeline.hpp)

  const TopologyImage* findImage(std::string_view name) const;
  std::optional<NodeIndex> findNode(std::string_view name) const;
  std::optional<SegmentIndex> findSegment(std::string_view name) const;
  /// "pc1:eth0"
  std::string interfaceName(const Member& m) const;
};

} // namespace umlab::lab
