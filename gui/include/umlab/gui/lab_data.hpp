#pragma once
/// The GUI's document: a topology as the user wrote it, plus positions and comments.
///
/// This is the editable twin of `lab::RawTopology`. Values stay text ("96M", "5ms") so that a file
/// opened and saved again keeps them as written, and a value that does not resolve ("96Q") is
/// kept until the user fixes it; `lab::resolve` is the only judge of what a value means. Every
/// element has an `ElementId` that never changes while the document is open, so references
/// (a link's ends, a monitor's node) survive renames: they hold the id of what they name, and the
/// name as written only when it names nothing.
///
/// Items on the canvas hold an `ElementId` and read everything else from here (STYLE.md §9.7).
/// Plain data, no Qt: the YAML writer and reader are tested without a display.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace umlab::gui {

using ElementId = uint64_t;
inline constexpr ElementId kNoElement = 0;

enum class ElementKind : uint8_t { None, Node, Segment, Link, Monitor, Replay };

struct Position {
  double x = 0;
  double y = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

/// Comments of the original file, kept with the element they stood next to.
struct Comments {
  std::vector<std::string> before; ///< whole-line comments above the element, each starting with '#'
  std::string trailing;            ///< a comment at the end of the element's first line, with its '#'
  bool empty() const { return before.empty() && trailing.empty(); }
  friend bool operator==(const Comments&, const Comments&) = default;
};

/// A mapping of text to text in file order (`files`, `sysctls`, `mounts`).
using KeyValueList = std::vector<std::pair<std::string, std::string>>;

/// The keys `defaults`, `kinds.<k>` and `nodes.<n>` share. An empty string is an absent key; an
/// absent list is nullopt, and a list that is present but empty is written as `[]` or `{}`.
struct SettingsData {
  std::string kind; ///< not written under `kinds`
  std::string memory;
  std::string image;
  std::string kernel; ///< "debian" or "umlab"
  std::string forwarding;
  std::optional<std::vector<std::string>> startup;  ///< present but empty clears an inherited list
  std::optional<std::vector<std::string>> shutdown; ///< the same, run when the guest powers off
  std::optional<KeyValueList> files;   ///< guest path -> host path; merged by guest path
  std::optional<KeyValueList> sysctls; ///< name -> value; merged by name
  std::optional<KeyValueList> mounts;  ///< guest directory -> host directory (one entry); not merged
  bool empty() const {
    return kind.empty() && memory.empty() && image.empty() && kernel.empty() && forwarding.empty() && !startup &&
           !shutdown && !files && !sysctls && !mounts;
  }
  friend bool operator==(const SettingsData&, const SettingsData&) = default;
};

struct RouteData {
  std::string to;
  std::string via;
  friend bool operator==(const RouteData&, const RouteData&) = default;
};

/// A node named by another element's setting (`depends-on`): its id, and the name as written
/// while it names no node (as link ends do).
struct NodeRef {
  ElementId node = kNoElement;
  std::string name;
  friend bool operator==(const NodeRef&, const NodeRef&) = default;
};

struct NodeData {
  ElementId id = kNoElement;
  std::string name;
  std::string description;
  SettingsData settings;
  std::vector<RouteData> routes;
  std::vector<NodeRef> dependsOn;
  Position position;
  Comments comments;
  friend bool operator==(const NodeData&, const NodeData&) = default;
};

struct SegmentData {
  ElementId id = kNoElement;
  std::string name;
  std::string type; ///< "switch", "hub", "mcast", or empty (a switch)
  std::string transport;
  std::string description;
  std::string injected; ///< "true", "false" or empty, as written
  Position position;
  Comments comments;
  friend bool operator==(const SegmentData&, const SegmentData&) = default;
};

/// One end of a link.
struct EndpointData {
  enum class Kind : uint8_t {
    Interface, ///< "node:iface" or {node, iface, ...}
    Named,     ///< a segment name (or a bare word that names nothing, kept as written)
    Host,      ///< "host"
  };
  Kind kind = Kind::Named;
  ElementId target = kNoElement; ///< the node (Interface) or segment (Named), when the name resolves
  std::string name;              ///< the name as written; used only while `target` is none
  std::string iface;             ///< Interface only
  bool isMapping = false;        ///< written as a mapping; Interface only
  std::string ip;                ///< mapping form only
  std::string gateway;
  std::string mac;
  friend bool operator==(const EndpointData&, const EndpointData&) = default;
};

/// Link conditions, as written ("5ms", "0.1%", "10mbit").
struct LinkConditions {
  std::string delay;
  std::string jitter;
  std::string loss;
  std::string rate;
  std::string duplicate;
  std::string corrupt;
  bool empty() const {
    return delay.empty() && jitter.empty() && loss.empty() && rate.empty() && duplicate.empty() && corrupt.empty();
  }
  friend bool operator==(const LinkConditions&, const LinkConditions&) = default;
};

struct LinkData {
  ElementId id = kNoElement;
  std::array<EndpointData, 2> ends;
  std::string ip; ///< on the link: the address of its one node interface
  std::string gateway;
  std::string mac;
  LinkConditions conditions;
  Comments comments;
  friend bool operator==(const LinkData&, const LinkData&) = default;
};

struct MonitorData {
  ElementId id = kNoElement;
  ElementId node = kNoElement;
  std::string nodeName; ///< as written, while `node` is none
  std::string iface;
  ElementId mirror = kNoElement;
  std::string mirrorName;
  std::string mac;
  /// A libpcap filter: the monitor listens through UML's pcap transport (kernel: umlab). Present
  /// but empty is `filter: ""`, every frame through that transport; nullopt is the daemon transport.
  std::optional<std::string> filter;
  Comments comments;
  friend bool operator==(const MonitorData&, const MonitorData&) = default;
};

struct ReplayData {
  ElementId id = kNoElement;
  ElementId segment = kNoElement;
  std::string segmentName;
  std::string pcap;
  std::string speed;
  std::string loop;
  std::string rewriteMac;
  Comments comments;
  friend bool operator==(const ReplayData&, const ReplayData&) = default;
};

/// An entry of `timeline:` (docs/scenarios.md), kept as written: its keys in the loader's order
/// with their values as text. The canvas does not edit timelines; it keeps them.
struct TimelineEntryData {
  size_t number = 0; ///< 1-based position in the file it was read from
  KeyValueList fields;
  Comments comments;
  friend bool operator==(const TimelineEntryData&, const TimelineEntryData&) = default;
};

struct KindData {
  std::string name;
  SettingsData settings;
  Comments comments;
  friend bool operator==(const KindData&, const KindData&) = default;
};

/// An entry of `images:`: a recipe on top of a built-in image or another entry. A single string
/// for `packages` or `run` is kept as a list of one (the loader reads both the same).
struct ImageData {
  std::string name;
  std::string from;
  std::vector<std::string> packages;
  KeyValueList files; ///< guest path -> host path
  std::vector<std::string> run;
  std::string size;
  Comments comments;
  bool empty() const { return from.empty() && packages.empty() && files.empty() && run.empty() && size.empty(); }
  friend bool operator==(const ImageData&, const ImageData&) = default;
};

/// A whole lab. Element order is file order, and the writer keeps it.
struct LabData {
  std::string name;
  std::string description;
  std::optional<SettingsData> defaults;
  std::vector<KindData> kinds;
  std::vector<ImageData> images;
  std::vector<NodeData> nodes;
  std::vector<SegmentData> segments;
  std::vector<LinkData> links;
  std::vector<MonitorData> monitors;
  std::vector<ReplayData> replays;
  std::vector<TimelineEntryData> timeline;
  std::vector<std::string> header;               ///< the file's opening comment lines
  std::vector<std::string> footer;               ///< comment lines after the last element
  std::map<std::string, Comments> sectionComments; ///< by top-level key ("nodes", "links", ...)
  std::string baseDir = "."; ///< where relative `files` and `pcap` paths start (the file's directory)

  friend bool operator==(const LabData&, const LabData&) = default;

  const NodeData* findNode(ElementId id) const;
  const SegmentData* findSegment(ElementId id) const;
  const LinkData* findLink(ElementId id) const;
  const NodeData* findNodeByName(std::string_view name) const;
  const SegmentData* findSegmentByName(std::string_view name) const;
  ElementKind kindOf(ElementId id) const;
  /// The largest id in use, so that a document can continue numbering after it.
  ElementId maxId() const;
};

/// The kind a node's icon shows: its own `kind`, else the defaults', else "host".
std::string effectiveKind(const LabData& lab, const NodeData& node);

/// A link end as the file writes it in string form: "pc1:eth0", "lan", "host".
std::string endpointText(const LabData& lab, const EndpointData& end);
/// The name of what an end refers to (the node or segment name), current or as written.
std::string endpointName(const LabData& lab, const EndpointData& end);

/// What kind of link this is, from its ends (as `lab::resolve` will decide, for ends that resolve).
enum class LinkShape : uint8_t { ToSegment, PointToPoint, Trunk, ToHost, Unknown };
LinkShape linkShape(const LinkData& link);

/// The index (0 or 1) of the node-interface end of a link to a segment or to the host; for a
/// point-to-point link, 0.
int interfaceEnd(const LinkData& link);

/// The address and gateway of a link end's interface, wherever the file put them: in the end's
/// mapping, or on the link (a link to a segment or to the host). Empty for ends that are not
/// interfaces.
std::string endAddress(const LinkData& link, int end);
std::string endGateway(const LinkData& link, int end);
/// Sets them where they belong: in the end's mapping for a point-to-point link, or when the end
/// already holds its own addressing; else on the link.
void setEndAddressing(LinkData& link, int end, std::string ip, std::string gateway);

/// The MAC of a link end's interface, wherever the file put it: in the end's mapping, or on the
/// link (a link to a segment or to the host). Empty when none is given (it is derived).
std::string endMac(const LinkData& link, int end);
/// Sets it where it belongs: where the end's address goes (`setEndAddressing`), or in the end's
/// mapping when the mapping already holds its MAC.
void setEndMac(LinkData& link, int end, std::string mac);

/// The lowest "ethN" that no link or monitor of `node` uses.
std::string firstFreeInterface(const LabData& lab, ElementId node);

/// "pc3" for prefix "pc" when pc1 and pc2 exist as node or segment names.
std::string firstFreeName(const LabData& lab, const std::string& prefix);

/// The stem of the names the canvas gives a new node of `kind` or segment of type `kind`: "pc"
/// for a host, "r" for a router, "fw", "sw", "hub", "bus" (mcast), else the kind itself.
std::string namePrefix(const std::string& kind);

/// A host path chosen in a file dialog, as a lab whose relative paths start at `baseDir` (see
/// `LabData::baseDir`) should write it: relative when the file lies inside that directory or
/// beside it (`../captures/ping.pcap`), else absolute.
std::string pathForLab(const std::string& baseDir, const std::string& chosen);

/// Rewrites relative host paths (`files` and `mounts` of the defaults, kinds and nodes, `files`
/// of images, replay `pcap`, a timeline's `replay`) so that they name the same files from `newBaseDir`, and sets
/// `baseDir`. Absolute paths are left alone. Returns whether any path changed.
bool rebaseRelativePaths(LabData& lab, const std::string& newBaseDir);

} // namespace umlab::gui
