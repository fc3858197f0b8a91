#pragma once
/// A running lab as `umlab ps --format json LAB` reports it: each node's state (booting, ready,
/// dead), each switch's frame counters and the link conditions set on its ports. The canvas
/// colours nodes and labels segments and links from this; it is view state, not part of the lab.

#include <QByteArray>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace umlab::gui {

struct NodeStatus {
  std::string name;
  std::string state; ///< "booting", "ready", "dead"
  int64_t pid = 0;
  int64_t uptimeSeconds = 0;
  int64_t memoryKiB = 0;
};

struct SwitchStatus {
  std::string segment; ///< a segment name, or "p2p.<link number>"
  std::string state;   ///< "up" or "down"
  uint64_t ports = 0;
  uint64_t framesIn = 0;
  uint64_t framesOut = 0;
  uint64_t dropped = 0;
  bool hasCounters = false;
  double framesPerSecond = -1; ///< from two samples; negative until there are two
  /// Ports with conditions: "pc1:eth0" -> "in=delay:25ms out=delay:25ms".
  std::map<std::string, std::string> conditions;
};

struct LabStatus {
  std::string lab;
  std::string state; ///< "running" or "crashed"
  std::vector<NodeStatus> nodes;
  std::vector<SwitchStatus> switches;

  const NodeStatus* node(const std::string& name) const;
  const SwitchStatus* switchOf(const std::string& segment) const;
  /// Whether every node is ready.
  bool isReady() const;
};

/// The entry for `lab` in `umlab ps --format json` output; nullopt when the text is not that
/// JSON or does not list the lab.
std::optional<LabStatus> parsePsJson(const QByteArray& json, const std::string& lab);

/// A port's live conditions for a label: "in=delay:20ms,loss:1% out=delay:20ms,loss:1%" becomes
/// "delay 20ms · loss 1%", and different directions "in delay 20ms · out down".
std::string describeLiveConditions(const std::string& portConditions);

/// Fills each switch's framesPerSecond from an earlier sample taken `seconds` before.
void computeRates(LabStatus& now, const LabStatus& before, double seconds);

} // namespace umlab::gui
