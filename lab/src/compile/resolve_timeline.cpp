#include "resolve_timeline.hpp"

#include "guest_file.hpp"
#include "replay_values.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace umlab::lab {
namespace {

constexpr TimelineTime kLongest{24LL * 3600 * 1000};
constexpr uint32_t kMaxSteps = 100000; ///< of one entry, after ramps and repeats are expanded

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

/// "  0% -> 20% " -> {"0%", "20%"}; one part when there is no arrow.
std::vector<std::string> rampParts(const std::string& text) {
  auto trim = [](std::string s) {
    const size_t a = s.find_first_not_of(" \t");
    const size_t b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  const size_t arrow = text.find("->");
  if (arrow == std::string::npos)
    return {trim(text)};
  return {trim(text.substr(0, arrow)), trim(text.substr(arrow + 2))};
}

class TimelineResolver {
public:
  TimelineResolver(const RawTopology& raw, const Topology& t, Diagnostics& diags, const ResolveOptions& options)
      : raw_(raw), t_(t), diags_(diags), options_(options) {}

  std::vector<TimelineEvent> run() {
    std::vector<TimelineEvent> out;
    for (const RawTimelineEvent& r : raw_.timeline)
      if (auto e = resolve(r))
        out.push_back(std::move(*e));
    return out;
  }

private:
  std::optional<TimelineEvent> resolve(const RawTimelineEvent& r) {
    const std::string what = "timeline entry " + std::to_string(r.number);
    TimelineEvent e;
    e.number = r.number;
    e.loc = r.loc;
    const size_t errors = diags_.errorCount();

    // When.
    const bool isRamp = r.from || r.to;
    if (r.at && isRamp)
      diags_.error(r.at.loc, what + " has both 'at' and 'from'/'to'; use 'at' for a moment, 'from' and 'to' for a ramp");
    else if (!r.at && !isRamp)
      diags_.error(r.loc, what + " needs a time: 'at: 30s', or 'from: 30s' and 'to: 60s' for a ramp");
    if (r.at)
      e.at = time(r.at, "'at' of " + what).value_or(TimelineTime{});
    if (isRamp) {
      if (!r.from || !r.to)
        diags_.error(r.loc, what + " is a ramp and needs both 'from' and 'to', as in '{from: 30s, to: 60s, link: r1:eth0, "
                                   "loss: 0% -> 20%}'");
      if (r.from)
        e.at = time(r.from, "'from' of " + what).value_or(TimelineTime{});
      if (r.to)
        e.to = time(r.to, "'to' of " + what).value_or(TimelineTime{});
      if (r.from && r.to && e.to <= e.at && diags_.errorCount() == errors)
        diags_.error(r.to.loc, "'to' of " + what + " (" + r.to.text + ") must come after 'from' (" + r.from.text + ")");
      if (r.step) {
        e.step = time(r.step, "'step' of " + what).value_or(TimelineTime{1000});
        if (e.step < TimelineTime{100}) {
          diags_.error(r.step.loc, "'step' of " + what + " must be at least 100ms");
          e.step = TimelineTime{1000};
        }
      }
    } else if (r.step) {
      diags_.error(r.step.loc, "'step' belongs to a ramp ('from' and 'to'), not to " + what);
    }
    if (r.every || r.times) {
      if (isRamp)
        diags_.error((r.every ? r.every : r.times).loc, "a ramp cannot repeat; write one entry per ramp");
      if (!r.every || !r.times)
        diags_.error(r.loc, what + " repeats: it needs both 'every' and 'times', as in 'every: 20s, times: 3'");
      if (r.every) {
        e.every = time(r.every, "'every' of " + what).value_or(TimelineTime{});
        if (e.every <= TimelineTime{0} && diags_.errorCount() == errors)
          diags_.error(r.every.loc, "'every' of " + what + " must be above zero");
      }
      if (r.times) {
        const auto n = parseUnsigned(r.times.text, kMaxSteps);
        if (!n || *n == 0)
          diags_.error(r.times.loc, "'times' of " + what + " must be a count from 1 to " + std::to_string(kMaxSteps));
        else
          e.times = static_cast<uint32_t>(*n);
      }
    }

    // What.
    const int targets = int(bool(r.link)) + int(bool(r.node)) + int(bool(r.segment));
    if (targets != 1) {
      diags_.error(r.loc, what + (targets == 0 ? " names no target" : " names more than one target") +
                              ": give one of 'link: r1:eth1', 'node: r1' or 'segment: lan'");
      return std::nullopt;
    }
    bool ok = true;
    if (r.link)
      ok = linkAction(r, what, isRamp, e);
    else if (r.node)
      ok = nodeAction(r, what, isRamp, e);
    else
      ok = segmentAction(r, what, isRamp, e);
    const TimelineTime last = isRamp ? e.to : e.at + e.every * (e.times - 1);
    if (last > kLongest && diags_.errorCount() == errors)
      diags_.error(r.loc, what + " ends after 24h; a timeline covers at most a day");
    if (isRamp && diags_.errorCount() == errors && (e.to - e.at) / e.step > kMaxSteps)
      diags_.error(r.loc, what + " has more than " + std::to_string(kMaxSteps) + " steps; make 'step' longer");
    if (!ok || diags_.errorCount() != errors)
      return std::nullopt;
    return e;
  }

  std::optional<TimelineTime> time(const RawScalar& s, const std::string& what) {
    const auto d = parseDuration(s.text);
    if (!d) {
      diags_.error(s.loc, what + " " + quote(s.text) + " is not a time; write it as in '30s', '2m' or '500ms'");
      return std::nullopt;
    }
    if (d->count() % 1000000 != 0) {
      diags_.error(s.loc, what + " " + quote(s.text) + " is finer than a millisecond");
      return std::nullopt;
    }
    if (*d > kLongest) {
      diags_.error(s.loc, what + " " + quote(s.text) + " is after 24h; a timeline covers at most a day");
      return std::nullopt;
    }
    return std::chrono::duration_cast<TimelineTime>(*d);
  }

  /// Keys that do not belong to the entry's target: one error each.
  void refuse(const std::string& what, const std::string& target,
              std::initializer_list<std::pair<const RawScalar*, const char*>> keys) {
    for (const auto& [s, name] : keys)
      if (*s)
        diags_.error(s->loc, "'" + std::string(name) + "' does not apply to " + target + " (" + what + ")");
  }

  bool flag(const RawScalar& s, const std::string& what) {
    if (s.text == "true")
      return true;
    diags_.error(s.loc, "'" + what + "' is written 'true' (" + quote(s.text) + " given); leave the key out otherwise");
    return false;
  }

  bool linkAction(const RawTimelineEvent& r, const std::string& what, bool isRamp, TimelineEvent& e) {
    const std::string target = "a link";
    refuse(what, target,
           {{&r.crash, "crash"}, {&r.restart, "restart"}, {&r.stop, "stop"}, {&r.start, "start"}, {&r.run, "run"},
            {&r.replay, "replay"}, {&r.speed, "speed"}, {&r.loop, "loop"}});
    if (!findLink(r.link, what, e))
      return false;
    const bool hasConditions = r.delay || r.jitter || r.loss || r.rate || r.duplicate || r.corrupt;
    const int actions = int(bool(r.down)) + int(bool(r.up)) + int(hasConditions || bool(r.clear));
    if (actions != 1) {
      diags_.error(r.link.loc, what + (actions == 0 ? " does nothing to link " : " does more than one thing to link ") +
                                   quote(r.link.text) +
                                   ": give one of 'down: true', 'up: true', or conditions such as 'loss: 5%'");
      return false;
    }
    if (r.down || r.up) {
      if (isRamp) {
        diags_.error((r.down ? r.down : r.up).loc, "a link goes " + std::string(r.down ? "down" : "up") +
                                                       " at a moment: use 'at', not 'from'/'to'");
        return false;
      }
      e.action = r.down ? TimelineEvent::Action::LinkDown : TimelineEvent::Action::LinkUp;
      return flag(r.down ? r.down : r.up, r.down ? "down" : "up");
    }
    if (r.clear) {
      if (r.clear.text != "true" && r.clear.text != "false") {
        diags_.error(r.clear.loc, "'clear' of " + what + " must be true or false, not " + quote(r.clear.text));
        return false;
      }
      e.clear = r.clear.text == "true";
      if (isRamp && e.clear) {
        diags_.error(r.clear.loc, "a ramp cannot 'clear'; clear the link in an entry of its own before the ramp");
        return false;
      }
    }
    bool ok = true, anyRamp = false;
    auto value = [&](const RawScalar& s, const char* name, auto parse, auto field) {
      if (!s)
        return;
      const std::vector<std::string> parts = rampParts(s.text);
      if (parts.size() == 2 && !isRamp) {
        diags_.error(s.loc, std::string(name) + " " + quote(s.text) + " of " + what +
                                " is a ramp; ramps need 'from' and 'to' instead of 'at'");
        ok = false;
        return;
      }
      anyRamp = anyRamp || parts.size() == 2;
      for (size_t k = 0; k < parts.size(); ++k) {
        auto v = parse(parts[k]);
        if (!v) {
          ok = false;
          diags_.error(s.loc, std::string(name) + " " + quote(parts[k]) + " of " + what + " is not " +
                                  (std::string(name) == "delay" || std::string(name) == "jitter" ? "a duration such as '50ms'"
                                   : std::string(name) == "rate" ? "a bit rate such as '10mbit'"
                                                                 : "a percentage from 0% to 100%"));
          return;
        }
        LinkConditions& into = k == 0 ? e.conditions : e.rampTo;
        into.*field = *v;
        if (parts.size() == 1)
          e.rampTo.*field = *v;
      }
    };
    auto duration = [](const std::string& t) { return parseDuration(t); };
    auto percent = [](const std::string& t) -> std::optional<double> {
      auto p = parsePercent(t);
      return p && *p <= 100 ? p : std::nullopt;
    };
    auto rate = [](const std::string& t) -> std::optional<uint64_t> {
      auto v = parseBitRate(t);
      return v && *v > 0 ? v : std::nullopt;
    };
    value(r.delay, "delay", duration, &LinkConditions::delay);
    value(r.jitter, "jitter", duration, &LinkConditions::jitter);
    value(r.loss, "loss", percent, &LinkConditions::lossPercent);
    value(r.rate, "rate", rate, &LinkConditions::rateBitsPerSecond);
    value(r.duplicate, "duplicate", percent, &LinkConditions::duplicatePercent);
    value(r.corrupt, "corrupt", percent, &LinkConditions::corruptPercent);
    if (!ok)
      return false;
    if (isRamp && !anyRamp) {
      diags_.error(r.loc, what + " has 'from' and 'to' but nothing ramps; write a value as 'A -> B', as in 'loss: 0% -> 20%'");
      return false;
    }
    e.action = isRamp ? TimelineEvent::Action::LinkRamp : TimelineEvent::Action::LinkConditions;
    if (!isRamp)
      e.rampTo = {};
    return true;
  }

  bool findLink(const RawScalar& s, const std::string& what, TimelineEvent& e) {
    const size_t colon = s.text.find(':');
    if (colon == std::string::npos) {
      diags_.error(s.loc, "'link' of " + what + " names an interface as NODE:IFACE, as in 'r1:eth1', not " + quote(s.text));
      return false;
    }
    const std::string nodeName = s.text.substr(0, colon), ifaceName = s.text.substr(colon + 1);
    const auto node = t_.findNode(nodeName);
    if (!node) {
      std::vector<std::string> names;
      for (const Node& n : t_.nodes)
        names.push_back(n.name);
      diags_.error(s.loc, "'link' of " + what + " names unknown node " + quote(nodeName) + didYouMean(nodeName, names));
      return false;
    }
    const Node& n = t_.nodes[*node];
    const Interface* iface = nullptr;
    for (const Interface& i : n.interfaces)
      if (i.name == ifaceName)
        iface = &i;
    if (!iface) {
      std::vector<std::string> names;
      for (const Interface& i : n.interfaces)
        names.push_back(i.name);
      diags_.error(s.loc, "'link' of " + what + ": node " + quote(nodeName) + " has no interface " + quote(ifaceName) +
                              didYouMean(ifaceName, names));
      return false;
    }
    if (iface->isMonitor || iface->attachment.kind != Attachment::Kind::Segment ||
        t_.segments[iface->attachment.segment].type == SegmentType::Mcast) {
      diags_.error(s.loc, "'link' of " + what + ": " + quote(s.text) + " is " +
                              (iface->isMonitor ? "a monitor"
                               : iface->attachment.kind == Attachment::Kind::Tap ? "a link to the host"
                                                                                 : "on an mcast segment") +
                              "; a timeline acts on links through umlab's switches (switch, hub or point-to-point)");
      return false;
    }
    e.node = *node;
    e.interface = iface->index;
    return true;
  }

  bool nodeAction(const RawTimelineEvent& r, const std::string& what, bool isRamp, TimelineEvent& e) {
    const std::string target = "a node";
    refuse(what, target,
           {{&r.down, "down"}, {&r.up, "up"}, {&r.clear, "clear"}, {&r.delay, "delay"}, {&r.jitter, "jitter"},
            {&r.loss, "loss"}, {&r.rate, "rate"}, {&r.duplicate, "duplicate"}, {&r.corrupt, "corrupt"},
            {&r.replay, "replay"}, {&r.speed, "speed"}, {&r.loop, "loop"}});
    const auto node = t_.findNode(r.node.text);
    if (!node) {
      std::vector<std::string> names;
      for (const Node& n : t_.nodes)
        names.push_back(n.name);
      diags_.error(r.node.loc, what + " names unknown node " + quote(r.node.text) + didYouMean(r.node.text, names));
      return false;
    }
    e.node = *node;
    const std::array<std::pair<const RawScalar*, TimelineEvent::Action>, 5> actions{
        {{&r.crash, TimelineEvent::Action::Crash},
         {&r.restart, TimelineEvent::Action::Restart},
         {&r.stop, TimelineEvent::Action::Stop},
         {&r.start, TimelineEvent::Action::Start},
         {&r.run, TimelineEvent::Action::Run}}};
    int count = 0;
    for (const auto& [s, action] : actions)
      if (*s) {
        ++count;
        e.action = action;
      }
    if (count != 1) {
      diags_.error(r.node.loc, what + (count == 0 ? " does nothing to node " : " does more than one thing to node ") +
                                   quote(r.node.text) +
                                   ": give one of 'crash: true', 'restart: true', 'stop: true', 'start: true' or "
                                   "'run: COMMAND'");
      return false;
    }
    if (isRamp) {
      diags_.error(r.loc, "a node's actions happen at a moment: use 'at', not 'from'/'to' (" + what + ")");
      return false;
    }
    if (e.action == TimelineEvent::Action::Run) {
      if (r.run.text.empty()) {
        diags_.error(r.run.loc, "'run' of " + what + " is empty; give a shell command such as 'ping -c 3 10.0.0.1'");
        return false;
      }
      e.command = r.run.text;
      return true;
    }
    for (const auto& [s, action] : actions)
      if (*s && action == e.action)
        return flag(*s, timelineActionName(action));
    return true;
  }

  bool segmentAction(const RawTimelineEvent& r, const std::string& what, bool isRamp, TimelineEvent& e) {
    refuse(what, "a segment",
           {{&r.down, "down"}, {&r.up, "up"}, {&r.clear, "clear"}, {&r.delay, "delay"}, {&r.jitter, "jitter"},
            {&r.loss, "loss"}, {&r.rate, "rate"}, {&r.duplicate, "duplicate"}, {&r.corrupt, "corrupt"},
            {&r.crash, "crash"}, {&r.restart, "restart"}, {&r.stop, "stop"}, {&r.start, "start"}, {&r.run, "run"}});
    const auto seg = t_.findSegment(r.segment.text);
    if (!seg) {
      std::vector<std::string> names;
      for (const Segment& s : t_.segments)
        if (s.type != SegmentType::PointToPoint)
          names.push_back(s.name);
      diags_.error(r.segment.loc, what + " names unknown segment " + quote(r.segment.text) +
                                      didYouMean(r.segment.text, names));
      return false;
    }
    if (t_.segments[*seg].type == SegmentType::Mcast) {
      diags_.error(r.segment.loc, what + " replays into mcast segment " + quote(r.segment.text) +
                                      "; replays are injected by a switch, so target a 'switch' or 'hub' segment");
      return false;
    }
    if (!r.replay) {
      diags_.error(r.segment.loc, what + " does nothing to segment " + quote(r.segment.text) +
                                      ": give 'replay: CAPTURE.pcap'");
      return false;
    }
    if (isRamp) {
      diags_.error(r.loc, "a replay starts at a moment: use 'at', not 'from'/'to' (" + what + ")");
      return false;
    }
    e.action = TimelineEvent::Action::Replay;
    e.segment = *seg;
    e.pcapPath = hostPathIn(raw_.baseDir, r.replay.text);
    bool ok = true;
    if (r.replay.text.empty() || !options_.pathExists(e.pcapPath)) {
      diags_.error(r.replay.loc, "capture " + quote(r.replay.text) + " of " + what + " does not exist (looked for " +
                                     quote(e.pcapPath) + "); paths are relative to the topology file");
      ok = false;
    }
    ok = readReplaySpeed(r.speed, what, diags_, e.speed) && ok;
    return readReplayLoop(r.loop, what, diags_, e.loop) && ok;
  }

  const RawTopology& raw_;
  const Topology& t_;
  Diagnostics& diags_;
  const ResolveOptions& options_;
};

} // namespace

std::vector<TimelineEvent> resolveTimeline(const RawTopology& raw, const Topology& topology, Diagnostics& diags,
                                           const ResolveOptions& options) {
  return TimelineResolver(raw, topology, diags, options).run();
}

} // namespace umlab::lab
