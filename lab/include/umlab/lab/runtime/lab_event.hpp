#pragma once
/// One event of a running lab's stream (`umlab events`, `LabClient::events`), typed, with its one
/// writer (the supervisor's) and its one reader (every front-end's). On the wire each event is
/// one JSON object on one line with a "type" and a "time" (Unix seconds):
///
///   node       node, state (booting, ready, stopping, stopped, dead (...), removed), pid
///   switch     segment, state (up, not answering, down)
///   link       segment, port, in, out        a port's conditions, in the switch's compact form
///   interface  node, interface, segment, action (added, removed)
///   lab        lab, state (ready, applied, stopping, down; down is the stream's last word)
///   counters   segment, answering, ageSeconds, ports: [{port, kind, framesIn, bytesIn,
///              framesOut, bytesOut, drops}]   every switch, as it answers, once a second
///   timeline   step (1-based), steps, entry, at (seconds after ready), action (link, node, run,
///              replay), target, what, state (started, done, failed), detail (a switch's answer,
///              a command's exit status and last output line, why it failed)

#include "umlab/base/json_value.hpp"
#include "umlab/lab/runtime/lab_status.hpp"

#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

struct LabEvent {
  enum class Type { Node, Switch, Link, Interface, Lab, Counters, Timeline };
  Type type = Type::Lab;
  double time = 0; ///< Unix seconds
  std::string node, segment, port, interface, action, lab;
  std::string state;   ///< node, switch and lab events
  std::string in, out; ///< link events: the port's conditions
  int64_t pid = 0;
  bool isAnswering = true;       ///< counters
  double ageSeconds = 0;         ///< counters: how old the switch's answer is
  std::vector<PortStatus> ports; ///< counters: frames, bytes and drops (no conditions)
  int64_t step = 0, steps = 0, entry = 0; ///< timeline
  double at = 0;                          ///< timeline: seconds after the lab was ready
  std::string target, what, detail;       ///< timeline
  std::string host; ///< a lab on several hosts (cluster_lab.hpp): the host that reported it; else empty
};

/// The event as one line of JSON, ending with '\n'.
std::string labEventJson(const LabEvent& e);
/// nullopt for what is not an object with a known "type".
std::optional<LabEvent> readLabEvent(const JsonValue& json);
/// For people: "node pc1 ready (pid 4242)", "counters lan: pc1:eth0 in 8/656B out 16/1.3K; ...".
std::string describeLabEvent(const LabEvent& e);

/// Unix seconds now, as events carry it.
double eventTimeNow();

} // namespace umlab::lab::runtime
