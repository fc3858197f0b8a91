#pragma once
/// The topology as written: every value still text, each with its file:line:col (the "raw" half
/// of containerlab's raw -> resolved split). Produced by `readRawTopology`, consumed by
/// `resolve`. The shape is checked (known keys, mappings where mappings belong); the values are
/// not: "96Q" is a fine `memory` here and an error in resolve.
///
/// Every key is documented in docs/topology.md and topologies/umlab.schema.json.

#include "umlab/base/source.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace umlab::lab {

struct RawScalar {
  std::string text;
  SourceLoc loc;
  bool present = false; ///< the key was given (a YAML null counts as absent)
  bool quoted = false;
  explicit operator bool() const { return present; }
};

struct RawFile {
  RawScalar guestPath;
  RawScalar hostPath;
};

/// The settings that `defaults`, `kinds.<k>` and `nodes.<n>` share; a node's value wins over its
/// kind's, which wins over the defaults.
struct RawSettings {
  RawScalar kind; ///< not allowed under `kinds`
  RawScalar memory;
  RawScalar image;
  RawScalar kernel;
  RawScalar forwarding;
  std::optional<std::vector<RawScalar>> startup;
  SourceLoc startupLoc;
  std::optional<std::vector<RawFile>> files;
  std::optional<std::vector<RawScalar>> shutdown;
  SourceLoc shutdownLoc;
  /// `sysctls`: name -> value, in file order (RawFile's two halves: guestPath is the name).
  std::optional<std::vector<RawFile>> sysctls;
  /// `mounts`: guest directory -> host directory.
  std::optional<std::vector<RawFile>> mounts;
};

struct RawRoute {
  RawScalar to;
  RawScalar via;
  SourceLoc loc;
};

struct RawLayout {
  RawScalar x;
  RawScalar y;
  SourceLoc loc;
  bool present = false;
};

struct RawNode {
  RawScalar name;
  RawScalar description;
  RawSettings settings;
  std::vector<RawRoute> routes;
  std::vector<RawScalar> dependsOn;
  RawLayout layout;
};

struct RawKind {
  RawScalar name;
  RawSettings settings;
};

struct RawSegment {
  RawScalar name;
  RawScalar type;
  RawScalar transport;
  RawScalar description;
  RawScalar injected;
  RawLayout layout;
};

/// One end of a link: "node:iface", "segment" or "host", or a mapping with per-end addresses.
struct RawEndpoint {
  RawScalar ref;   ///< the string form, as written
  RawScalar node;  ///< the mapping form
  RawScalar iface;
  RawScalar ip;
  RawScalar gateway;
  RawScalar mac;
  SourceLoc loc;
  bool isMapping = false;
};

struct RawLink {
  std::vector<RawEndpoint> endpoints;
  RawScalar ip;
  RawScalar gateway;
  RawScalar mac;
  RawScalar delay;
  RawScalar jitter;
  RawScalar loss;
  RawScalar rate;
  RawScalar duplicate;
  RawScalar corrupt;
  SourceLoc loc;
  SourceLoc endpointsLoc;
  size_t number = 0; ///< 1-based position under `links:`, for messages and names
};

struct RawMonitor {
  RawScalar node;
  RawScalar iface;
  RawScalar mirror;
  RawScalar mac;
  RawScalar filter; ///< a libpcap filter: the monitor uses UML's pcap transport
  SourceLoc loc;
  size_t number = 0; ///< 1-based position under `monitors:`
};

struct RawReplay {
  RawScalar segment;
  RawScalar pcap;
  RawScalar speed;
  RawScalar loop;
  RawScalar rewriteMac;
  SourceLoc loc;
  size_t number = 0; ///< 1-based position under `replays:`
};

/// One entry of `timeline:` (timeline.hpp); the values are checked in resolve.
struct RawTimelineEvent {
  RawScalar at, from, to, step, every, times;
  RawScalar link, node, segment;
  RawScalar down, up, clear;
  RawScalar delay, jitter, loss, rate, duplicate, corrupt;
  RawScalar crash, restart, stop, start;
  RawScalar run;
  RawScalar replay, speed, loop;
  SourceLoc loc;
  size_t number = 0; ///< 1-based position under `timeline:`
};

/// One entry of `images:` (load_images.hpp); lists keep each item's position.
struct RawImage {
  RawScalar name;
  RawScalar from;
  std::vector<RawScalar> packages;
  std::vector<RawFile> files;
  std::vector<RawScalar> run;
  RawScalar size;
  SourceLoc loc;
};

struct RawTopology {
  std::string path;    ///< as given on the command line
  std::string baseDir; ///< directory that relative `files` and `pcap` paths start from
  SourceLoc loc;       ///< the top-level mapping
  RawScalar name;
  RawScalar description;
  RawSettings defaults;
  std::vector<RawKind> kinds;
  std::vector<RawNode> nodes;
  SourceLoc nodesLoc;
  std::vector<RawSegment> segments;
  SourceLoc segmentsLoc;
  std::vector<RawLink> links;
  std::vector<RawMonitor> monitors;
  std::vector<RawReplay> replays;
  std::vector<RawImage> images;
  std::vector<RawTimelineEvent> timeline;
};

} // namespace umlab::lab
