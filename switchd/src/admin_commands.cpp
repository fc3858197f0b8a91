#include "admin_commands.hpp"

#include "umlab/base/mac_address.hpp"
#include "umlab/base/quantity.hpp"

#include <optional>
#include <sstream>

namespace umlab::switchd {
namespace {

std::vector<std::string_view> splitWords(std::string_view line) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < line.size();) {
    size_t j = line.find_first_not_of(" \t", i);
    if (j == std::string_view::npos)
      break;
    size_t k = line.find_first_of(" \t", j);
    if (k == std::string_view::npos)
      k = line.size();
    words.push_back(line.substr(j, k - j));
    i = k;
  }
  return words;
}

/// "delay 20ms loss 1% down" -> "delay:20ms,loss:1%,down": one word, for `key=value` lines.
std::string compactConditions(const LinkConditions& c) {
  const std::string text = c.describe();
  const std::vector<std::string_view> words = splitWords(text);
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (!out.empty())
      out += ',';
    out += words[i];
    if (words[i] != "down" && words[i] != "none" && i + 1 < words.size()) {
      out += ':';
      out += words[++i];
    }
  }
  return out;
}

} // namespace

constexpr std::array<AdminCommands::Command, 16> AdminCommands::kCommands = {{
    {{"show", "ports"}, "", 0, 0,
     "one line per port: name, kind, conditions, queue, frames and bytes, drops by reason", &AdminCommands::showPorts},
    {{"show", "fdb"}, "", 0, 0, "the learnt (MAC, VLAN) -> port entries, most recent first", &AdminCommands::showFdb},
    {{"show", "stats"}, "", 0, 0, "switch-wide counters: clients, refusals, uplinks", &AdminCommands::showStats},
    {{"show", "capture"}, "", 0, 0, "the capture file and the ring buffer", &AdminCommands::showCapture},
    {{"show", "vxlan"}, "", 0, 0, "the VXLAN tunnel: VNI, local address, peers, drops by reason",
     &AdminCommands::showVxlan},
    {{"set", "port"}, "PORT [in|out|both] CONDITION...", 2, 32,
     "delay D, jitter D, loss P%, rate R, duplicate P%, corrupt P%, down, up, clear", &AdminCommands::setPort},
    {{"set", "seed"}, "N", 1, 1, "reseed every port's random choices", &AdminCommands::setSeed},
    {{"name", "port"}, "NAME MAC", 2, 2, "name the port whose client sends from MAC (as --port)", &AdminCommands::namePort},
    {{"capture", "start"}, "FILE", 1, 1, "write every frame the segment carries to a pcap file", &AdminCommands::captureStart},
    {{"capture", "stop"}, "", 0, 0, "close the capture file", &AdminCommands::captureStop},
    {{"capture", "dump"}, "FILE [DURATION]", 1, 2,
     "write the ring buffer (the last DURATION of it, e.g. 60s) to a pcap file", &AdminCommands::captureDump},
    {{"replay", "start"}, "FILE [speed X] [loop N] [dst MAC]", 1, 7,
     "play a pcap/pcapng capture into the segment from port 'replay' (speed 0: unpaced, loop 0: forever,\n"
     "                                  dst: send its unicast frames to MAC)",
     &AdminCommands::replayStart},
    {{"replay", "stop"}, "", 0, 0, "stop the replay", &AdminCommands::replayStop},
    {{"show", "replay"}, "", 0, 0, "the running replay and the frames sent", &AdminCommands::showReplay},
    {{"help", ""}, "", 0, 0, "this list", &AdminCommands::showHelp},
    {{"show", "help"}, "", 0, 0, "this list", &AdminCommands::showHelp},
}};

std::string AdminCommands::usageOf(const Command& c) {
  std::string s(c.words[0]);
  if (!c.words[1].empty())
    s += " " + std::string(c.words[1]);
  if (!c.arguments.empty())
    s += " " + std::string(c.arguments);
  return s;
}

std::string AdminCommands::execute(std::string_view line) {
  ++executed_;
  const std::vector<std::string_view> words = splitWords(line);
  if (words.empty())
    return {};
  const Command* partial = nullptr;
  for (const Command& c : kCommands) {
    const size_t n = c.words[1].empty() ? 1 : 2;
    if (words.size() < n || words[0] != c.words[0] || (n == 2 && words[1] != c.words[1])) {
      if (words[0] == c.words[0] && !partial)
        partial = &c;
      continue;
    }
    const Words args(words.data() + n, words.size() - n);
    if (args.size() < c.minArguments || args.size() > c.maxArguments)
      return "error: usage: " + usageOf(c);
    return (this->*c.handler)(args);
  }
  if (partial)
    return "error: unknown command '" + std::string(line) + "'; did you mean '" + usageOf(*partial) + "'? try 'help'";
  return "error: unknown command '" + std::string(line) + "'; try 'help'";
}

// --- show ----------------------------------------------------------------------------------------

std::string AdminCommands::showHelp(Words) {
  std::ostringstream s;
  for (const Command& c : kCommands) {
    const std::string usage = usageOf(c);
    s << usage << std::string(usage.size() < 34 ? 34 - usage.size() : 1, ' ') << c.help << '\n';
  }
  return s.str();
}

std::string AdminCommands::showPorts(Words) {
  std::ostringstream s;
  s << "ports " << sw_.path.portCount() << '\n';
  for (const Port* p : sw_.path.sortedPorts()) {
    const PortCounters& c = p->counters();
    s << "port " << p->id() << " name=" << (p->name().empty() ? "-" : p->name()) << " kind=" << p->kind()
      << " address=" << p->address() << " in=" << compactConditions(p->conditioner(Direction::In).conditions())
      << " out=" << compactConditions(p->conditioner(Direction::Out).conditions()) << " queue=" << p->queue().size()
      << " rx_frames=" << c.rxFrames << " rx_bytes=" << c.rxBytes << " tx_frames=" << c.txFrames
      << " tx_bytes=" << c.txBytes << " duplicated=" << c.duplicated << " corrupted=" << c.corrupted
      << " delayed=" << c.delayed;
    for (size_t r = 0; r < c.drops.size(); ++r)
      s << " drop_" << kPortDropNames[r] << '=' << c.drops[r];
    s << '\n';
  }
  return s.str();
}

std::string AdminCommands::showFdb(Words) {
  std::ostringstream s;
  const FdbTable& fdb = sw_.path.fdb();
  const std::vector<FdbTable::Entry> entries = fdb.entries();
  s << "fdb " << entries.size() << '/' << fdb.maxEntries() << " aging "
    << std::chrono::duration_cast<std::chrono::seconds>(fdb.agingTime()).count() << "s\n";
  const TimePoint t = sw_.clock.now();
  for (const FdbTable::Entry& e : entries)
    s << e.mac.str() << " vlan " << e.vlan << " port " << e.port << " age "
      << std::chrono::duration_cast<std::chrono::seconds>(t - e.lastSeen).count() << "s\n";
  return s.str();
}

std::string AdminCommands::showStats(Words) {
  const FramePath::Counters& frames = sw_.path.counters();
  const PortListeners::Counters& joins = sw_.listeners.counters();
  uint64_t uplinkJoins = 0;
  for (const auto& u : sw_.uplinks)
    uplinkJoins += u->joinCount();
  std::ostringstream s;
  s << "mode=" << (sw_.options.mode == ForwardingMode::Hub ? "hub" : "switch") << '\n'
    << "uptime_s=" << std::chrono::duration_cast<std::chrono::seconds>(sw_.clock.now() - sw_.started).count() << '\n'
    << "ports=" << sw_.path.portCount() << '\n'
    << "monitor_ports=" << sw_.path.mirrorCount() << '\n'
    << "probe_ports=" << sw_.path.probeCount() << '\n'
    << "seed=" << sw_.names.switchSeed() << '\n'
    << "control_accepted=" << joins.accepted << '\n'
    << "clients_joined=" << frames.clientsJoined << '\n'
    << "clients_left=" << frames.clientsLeft << '\n'
    << "uplink_joins=" << uplinkJoins << '\n'
    << "unknown_sender=" << frames.unknownSender << '\n'
    << "receive_errors=" << frames.receiveErrors << '\n'
    << "fdb_entries=" << sw_.path.fdb().size() << '\n'
    << "fdb_evictions=" << sw_.path.fdb().evictionCount() << '\n'
    << "delayed_frames=" << sw_.path.delayedCount() << '\n'
    << "input_pauses=" << frames.inputPauses << '\n'
    << "port_stalls=" << frames.stalls << '\n'
    << "admin_commands=" << executed_ << '\n'
    << "accept_pauses=" << joins.acceptPauses << '\n';
  for (size_t r = 0; r < joins.refusals.size(); ++r)
    s << "refused_" << kRefusalNames[r] << '=' << joins.refusals[r] << '\n';
  for (const auto& u : sw_.uplinks)
    s << "uplink " << u->spec().name << ' ' << (u->isJoined() ? "joined" : "waiting")
      << (u->lastError().empty() ? "" : " (" + u->lastError() + ")") << '\n';
  return s.str();
}

std::string AdminCommands::showCapture(Words) { return sw_.capture.describe(); }

std::string AdminCommands::showReplay(Words) { return sw_.replayer.describe(); }

std::string AdminCommands::showVxlan(Words) {
  if (!sw_.vxlan)
    return "error: no VXLAN tunnel (start with --vxlan-bind or --vxlan-socket)";
  return sw_.vxlan->describe();
}

// --- set -----------------------------------------------------------------------------------------

std::string AdminCommands::setPort(Words args) {
  const std::string_view target = args[0];
  size_t first = 1;
  bool setIn = true;
  bool setOut = true;
  if (args.size() > 1 && (args[1] == "in" || args[1] == "out" || args[1] == "both")) {
    setIn = args[1] != "out";
    setOut = args[1] != "in";
    first = 2;
  }
  if (first >= args.size())
    return "error: usage: set port PORT [in|out|both] CONDITION...";
  Port* p = sw_.path.findPort(target);
  PortNames::Conditions* named = sw_.names.conditionsOf(target);
  if (!p && !named)
    return "error: no port '" + std::string(target) + "' (see 'show ports'; names come from --port and --uplink)";
  if (p && !p->name().empty())
    named = sw_.names.conditionsOf(p->name());
  LinkConditions in = p ? p->conditioner(Direction::In).conditions() : named->in;
  LinkConditions out = p ? p->conditioner(Direction::Out).conditions() : named->out;
  std::string error;
  const Words words = args.subspan(first);
  if ((setIn && !parseConditionWords(words, in, error)) || (setOut && !parseConditionWords(words, out, error)))
    return "error: " + error;
  if (p) {
    p->conditioner(Direction::In).setConditions(in);
    p->conditioner(Direction::Out).setConditions(out);
  }
  if (named)
    *named = {in, out};
  const std::string name =
      p ? (p->name().empty() ? "port " + std::to_string(p->id()) : p->name()) : std::string(target);
  return name + " in: " + in.describe() + "\n" + name + " out: " + out.describe() +
         (p ? "" : "\n(applies when the port joins)");
}

std::string AdminCommands::setSeed(Words args) {
  std::optional<uint64_t> seed = parseUnsigned(args[0]);
  if (!seed)
    return "error: the seed must be a non-negative integer";
  sw_.names.setSwitchSeed(*seed);
  for (Port* p : sw_.path.sortedPorts())
    sw_.names.seed(*p);
  return "seed " + std::to_string(*seed);
}

/// 'name port NAME MAC': like --port, for a port that joins later (a hot-plugged NIC).
std::string AdminCommands::namePort(Words args) {
  std::optional<MacAddress> mac = MacAddress::parse(args[1]);
  if (!mac || mac->isMulticast())
    return "error: bad MAC '" + std::string(args[1]) + "'";
  const std::string name(args[0]);
  sw_.names.declare(name, *mac);
  return "port " + name + " is the one that sends from " + mac->str();
}

// --- capture and replay --------------------------------------------------------------------------

std::string AdminCommands::captureStart(Words args) { return sw_.capture.start(std::string(args[0])); }

std::string AdminCommands::captureStop(Words) { return sw_.capture.stop(); }

std::string AdminCommands::captureDump(Words args) {
  return sw_.capture.dump(std::string(args[0]), args.size() > 1 ? std::optional(args[1]) : std::nullopt);
}

std::string AdminCommands::replayStart(Words args) { return sw_.replayer.start(args); }

std::string AdminCommands::replayStop(Words) { return sw_.replayer.stop(); }

} // namespace umlab::switchd
