#pragma once
/// What a running lab looks like, as typed data: the supervisor builds it from its own state
/// and its cache of switch counters, sends it as JSON (`ps`), and every front-end reads it back
/// through `readLabStatus` (the one reader). The same port counters feed `umlab events`.

#include "umlab/base/json_value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

/// One port of a switch, from its `show ports` (docs/switchd.md).
struct PortStatus {
  std::string name; ///< "pc1:eth0", "trunk:lan", "replay", or "-" for an unnamed port
  std::string kind; ///< "daemon", "bess", "monitor", "uplink", "replay"
  uint64_t rxFrames = 0, rxBytes = 0, txFrames = 0, txBytes = 0;
  uint64_t drops = 0;            ///< every drop counter, summed
  std::string conditionsIn;      ///< "none", or the switch's compact form ("delay:20ms,loss:1%")
  std::string conditionsOut;
  friend bool operator==(const PortStatus&, const PortStatus&) = default;
};

struct SwitchStatus {
  std::string segment;
  std::string state; ///< "up", "not answering" (alive but its admin socket is silent), "down"
  int64_t pid = 0;
  bool hasCounters = false; ///< false until the first answer
  double countersAgeSeconds = 0;
  std::vector<PortStatus> ports;
  std::string host; ///< a lab on several hosts (cluster_lab.hpp): the host this switch runs on; else empty
  friend bool operator==(const SwitchStatus&, const SwitchStatus&) = default;
};

struct InterfaceStatus {
  std::string name, mac, ip, attachedTo;
  bool isHotPlugged = false;
  friend bool operator==(const InterfaceStatus&, const InterfaceStatus&) = default;
};

struct NodeStatus {
  std::string name;
  /// "booting", "ready", "stopping" (asked to power off), "stopped" (powered off by `umlab
  /// node`, its COW file kept), "dead (signal 9)", "dead (exit 1)"
  std::string state;
  int64_t pid = 0;
  int64_t uptimeSeconds = 0;
  uint64_t memoryKiB = 0; ///< PSS of every process of the guest; 0 until first measured
  std::vector<InterfaceStatus> interfaces;
  std::string host; ///< a lab on several hosts (cluster_lab.hpp): the host it runs on; else empty
  friend bool operator==(const NodeStatus&, const NodeStatus&) = default;
};

/// The lab's timeline (model/timeline.hpp). Its time 0, the moment every guest was first ready,
/// is set for every lab (timed checks count from it); the steps only when the topology has them.
struct TimelineStatus {
  int64_t steps = 0;     ///< 0: the lab has no timeline
  double startTime = 0;  ///< Unix seconds of its time 0 (every guest ready); 0 before that
  int64_t started = 0;   ///< steps begun so far
  int64_t finished = 0;  ///< steps ended so far...
  int64_t failed = 0;    ///< ...and of those, the ones that failed
  double nextAt = 0;     ///< seconds after time 0 of the next step not begun
  std::string next;      ///< what it does; empty when every step has begun
  friend bool operator==(const TimelineStatus&, const TimelineStatus&) = default;
};

/// One host of a lab on several hosts (cluster_lab.hpp).
struct HostStatus {
  std::string name, address;
  std::string state; ///< "running", "crashed: ...", "not answering: ..."
  friend bool operator==(const HostStatus&, const HostStatus&) = default;
};

struct LabStatus {
  std::string lab;
  std::string stateDir;
  /// The account whose lab it is: the owner of its state directory, as the client sees it (a
  /// rootless supervisor is uid 0 in its own namespace and cannot say).
  std::string owner;
  std::string state = "running"; ///< "running", or "crashed" when the supervisor is gone
  int64_t supervisorPid = 0;
  std::vector<NodeStatus> nodes;
  std::vector<SwitchStatus> switches;
  TimelineStatus timeline;
  std::vector<HostStatus> hosts; ///< a lab on several hosts: each host's shard; else empty
  friend bool operator==(const LabStatus&, const LabStatus&) = default;
};

/// The ports of a `show ports` reply; lines that are not ports are skipped.
std::vector<PortStatus> parseShowPorts(const std::string& reply);

std::string labStatusJson(const LabStatus& status);
/// The one reader of `labStatusJson`; nullopt with `error` naming the field on bad input.
std::optional<LabStatus> readLabStatus(const JsonValue& json, std::string& error);
/// The table `umlab ps` prints; `showOwner` names the lab's owner (`ps --all`).
std::string renderLabStatusText(const LabStatus& status, bool showOwner = false);

} // namespace umlab::lab::runtime
