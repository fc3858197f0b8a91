#pragma once
/// A running lab as the canvas shows it: the runtime's typed status (lab/runtime/lab_status.hpp)
/// kept current by the lab's event stream (`LabClient::events`, the `umlab events` JSON), plus
/// what the canvas derives from that stream: each switch's traffic per second. It is view state,
/// not part of the lab.
///
/// How it stays current. `LabRunner` reads the status once, then follows the events, each
/// applied here by `applyLabEvent`:
///
///   node      the node's state and pid
///   switch    the switch's state ("up", "not answering", "down")
///   link      one port's conditions ("delay:20ms,loss:1%", "down", "none"), in and out
///   counters  every port's frames, bytes and drops; with the previous counters of the same
///             switch, its rates and each port's rates both ways (the samples are timed by the
///             switch's answer: event time minus the counters' age)
///   lab       "stopping", "down" (the stream's last word), "ready", "applied"
///
/// An event that says less than what changed (a node that started or died has a new pid,
/// uptime and interfaces; an interface plugged; the lab applied; a name the status does not
/// know yet) asks for the status to be read again.

#include "umlab/base/json_value.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/lab_status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace umlab::gui {

namespace runtime = ::umlab::lab::runtime;
using runtime::NodeStatus;
using runtime::PortStatus;
using runtime::SwitchStatus;

/// What a switch's ports received, summed, at one moment (Unix seconds).
struct TrafficSample {
  double time = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
};

/// Frames and bytes per second into a switch, between two samples.
struct TrafficRate {
  double framesPerSecond = 0;
  double bytesPerSecond = 0;
};

/// A switch's counters summed over its ports: "in" is what the switch received, "out" what it sent.
/// One port's traffic per second between two counters events of its switch. "rx" is what the
/// switch received on the port (what the node behind it sent), "tx" what the switch sent out of
/// it (what the node received); drops are every drop counter of the port.
struct PortRate {
  double rxFramesPerSecond = 0, rxBytesPerSecond = 0;
  double txFramesPerSecond = 0, txBytesPerSecond = 0;
  double dropsPerSecond = 0;
  bool isIdle() const { return rxFramesPerSecond <= 0 && txFramesPerSecond <= 0 && dropsPerSecond <= 0; }
};

struct SwitchTotals {
  uint64_t framesIn = 0, bytesIn = 0, framesOut = 0, bytesOut = 0, drops = 0;
};

/// Name -> position in one of the status's lists, rebuilt when the list moved or changed size.
/// The canvas asks for every item's status on every repaint: a linear search made a repaint of a
/// running lab quadratic in its size.
struct StatusIndex {
  const void* data = nullptr;
  size_t size = 0;
  std::unordered_map<std::string, size_t> at;
};

struct LabStatus : runtime::LabStatus {
  LabStatus() = default;
  /// A status read at `readTime` (Unix seconds).
  LabStatus(runtime::LabStatus s, double readTime);

  /// Takes a status read again at `readTime`; rates and samples stay.
  void update(runtime::LabStatus s, double readTime);

  const NodeStatus* node(const std::string& name) const;
  const SwitchStatus* switchOf(const std::string& segment) const;
  /// nullopt until two counters events of the switch came.
  std::optional<TrafficRate> rateOf(const std::string& segment) const;
  /// nullopt until two counters events of the switch listed the port.
  const PortRate* portRateOf(const std::string& segment, const std::string& port) const;
  /// Whether every node is ready.
  bool isReady() const;
  /// The node's uptime now: as read, plus the time the events have seen pass since.
  int64_t uptimeOf(const NodeStatus& n) const;

  std::map<std::string, TrafficRate> rates;     ///< per segment
  std::map<std::string, TrafficSample> samples; ///< per segment: the latest, that the next rate starts from
  /// Per segment, per port: the latest rates, and the counters (with their time) that the next
  /// rates start from.
  struct PortTraffic {
    double time = 0;
    PortStatus counters;
    std::optional<PortRate> rate;
  };
  std::map<std::string, std::map<std::string, PortTraffic>> ports;
  double readTime = 0;                          ///< when the runtime status was read
  double eventTime = 0;                         ///< the latest event's time

private:
  mutable StatusIndex nodeIndex_, switchIndex_; // for node() and switchOf(); the GUI thread's only
};

const PortStatus* portOf(const SwitchStatus& s, const std::string& port);
SwitchTotals totalsOf(const SwitchStatus& s);

/// A port's live conditions for a label: "delay:20ms,loss:1%" both ways becomes
/// "delay 20ms · loss 1%"; different directions "in delay 5ms / out down"; "" when there are none.
std::string describeLiveConditions(const std::string& in, const std::string& out);
/// "12 f/s · 96 kbit/s", "0.5 f/s · 480 bit/s": a direction's traffic for people.
std::string describeRate(double framesPerSecond, double bytesPerSecond);
/// "1.2 kbit/s", "96 Mbit/s": bits per second in SI units, three significant digits at most.
std::string humanBitRate(double bitsPerSecond);
/// The rate a port's conditions limit it to ("rate:10mbit" gives 10e6), in bits per second; 0
/// when they set none.
double conditionRateBits(const std::string& conditions);
/// Whether either direction of the port is taken down.
bool isPortDown(const PortStatus& p);

/// One event of a lab's stream, typed, and its one reader (lab/runtime/lab_event.hpp).
using runtime::LabEvent;

enum class EventEffect {
  Applied,     ///< `status` says what the event said
  NeedsStatus, ///< applied as far as it goes; read the status again
  LabStopping, ///< the lab is being taken down
  LabDown,     ///< the lab is gone: the stream ends
};

EventEffect applyLabEvent(LabStatus& status, const LabEvent& e);

} // namespace umlab::gui
