// LabClient::replayThrough: a capture played through a node of a running lab
// (replay/through_replay.hpp). Here: what joins the engine to the lab. Each side of the node is
// reached through a probe port of its segment's umlab-switchd, whose data socket is made in the
// lab's network namespace (the switch's data socket has an abstract name there).

#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/firewall_decision.hpp"
#include "umlab/lab/runtime/node_inspection.hpp"

#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/transports/switch_client.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>

namespace umlab::lab::runtime {

namespace {

/// The engine's ports: one probe per side.
class ProbeLinks final : public replay::SideLinks {
public:
  ProbeLinks(std::vector<transports::SwitchClient> clients, std::vector<std::string> segments)
      : clients_(std::move(clients)), segments_(std::move(segments)), buffer_(65536) {}

  void send(size_t side, std::span<const uint8_t> frame) override {
    // A full socket: wait for room (the switch reads it within a loop turn), a little.
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (clients_[side].send(frame))
        return;
      pollfd p{clients_[side].fd(), POLLOUT, 0};
      ::poll(&p, 1, 10);
    }
    throw RuntimeError("the switch of segment " + segments_[side] + " takes no frames (its socket stayed full for 1 s)");
  }

  void receive(replay::SteadyClock::time_point deadline, const FrameHandler& onFrame) override {
    std::vector<pollfd> fds;
    for (const transports::SwitchClient& c : clients_) {
      fds.push_back({c.fd(), POLLIN, 0});
      fds.push_back({c.controlFd(), POLLIN, 0});
    }
    const auto now = replay::SteadyClock::now();
    const int ms = deadline <= now ? 0
                                   : int(std::min<int64_t>(
                                         60000, std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count()));
    const int n = ::poll(fds.data(), fds.size(), ms);
    if (n < 0 && errno != EINTR)
      throw RuntimeError(std::string("poll: ") + std::strerror(errno));
    for (size_t k = 0; k < clients_.size(); ++k) {
      if (fds[2 * k + 1].revents && clients_[k].isSwitchGone())
        throw RuntimeError("the switch of segment " + segments_[k] + " went away (was the lab stopped?)");
      if (!(fds[2 * k].revents & POLLIN))
        continue;
      // At most a burst per side, so one busy side cannot starve the others.
      for (int burst = 0; burst < 64; ++burst) {
        std::optional<size_t> got = clients_[k].receive(buffer_);
        if (!got)
          break;
        onFrame(k, std::span<const uint8_t>(buffer_.data(), *got));
      }
    }
  }

private:
  std::vector<transports::SwitchClient> clients_;
  std::vector<std::string> segments_;
  std::vector<uint8_t> buffer_;
};

/// The node's firewall counters, read through its agent (firewall_decision.hpp).
class NodeRuleWitness final : public replay::RuleWitness {
public:
  NodeRuleWitness(const LabClient& client, std::string lab, std::string node)
      : client_(client), lab_(std::move(lab)), node_(std::move(node)) {}
  void before() override { last_ = read(); }
  std::string decided() override {
    std::vector<FirewallTable> now = read();
    std::string rules = decidingRules(last_, now);
    last_ = std::move(now);
    return rules;
  }
  /// False when the node has no iptables or nftables table at all.
  bool hasFirewall() {
    last_ = read();
    return !last_.empty();
  }

private:
  std::vector<FirewallTable> read() const {
    return inspectNode(client_, lab_, node_, std::chrono::seconds(10), InspectionScope::Firewall).firewall;
  }

  const LabClient& client_;
  std::string lab_, node_;
  std::vector<FirewallTable> last_;
};

} // namespace

replay::ReplayReport LabClient::replayThrough(const std::string& lab, const ThroughReplayRequest& request,
                                              Diagnostics& diags) const {
  if (!isRunning(lab))
    throw RuntimeError("lab '" + lab + "' is not running; start it with 'umlab up'");
  const LaunchPlan p = plan(lab);
  if (p.placement)
    throw RuntimeError("lab '" + lab + "' runs on " + std::to_string(p.placement->hosts) +
                       " hosts; a replay through a node joins its segments' switches, which needs a lab on one host");
  std::string error;
  std::optional<replay::ReplaySides> sides = replay::ReplaySides::of(p, request.node, error);
  if (!sides)
    throw RuntimeError(error);
  std::optional<transports::PcapReader> capture = transports::PcapReader::open(request.capture, diags);
  if (!capture)
    throw RuntimeError("cannot replay " + request.capture + " (see above)");

  replay::ThroughReplayOptions options = request.options;
  for (const GuestPlan& g : p.guests)
    for (const InterfacePlan& i : g.interfaces)
      if (std::optional<IpPrefix> a = IpPrefix::parse(i.ip))
        options.labAddresses.insert(a->address());

  const std::vector<replay::ReplaySide>& list = sides->sides();
  std::vector<UniqueFd> sockets = socketsInLab(lab, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, list.size());
  std::vector<transports::SwitchClient> clients;
  std::vector<std::string> segments;
  for (size_t k = 0; k < list.size(); ++k) {
    try {
      clients.push_back(transports::SwitchClient::join(list[k].ctlPath, transports::SwitchClient::Role::Probe,
                                                       std::move(sockets[k])));
    } catch (const std::system_error& e) {
      throw RuntimeError("cannot join segment " + list[k].segment + " of lab '" + lab + "': " + e.what());
    }
    segments.push_back(list[k].segment);
  }
  std::vector<transports::PcapWriter> writers;
  if (!request.sideCaptureDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(request.sideCaptureDir, ec);
    try {
      for (const replay::ReplaySide& s : list)
        writers.push_back(transports::PcapWriter::create(request.sideCaptureDir + "/" + s.segment + ".pcap"));
    } catch (const std::system_error& e) {
      throw RuntimeError(std::string("cannot write the side captures: ") + e.what());
    }
    options.sideCaptures = &writers;
  }

  replay::ReplayReport report;
  report.lab = lab;
  report.node = request.node;
  report.capture = request.capture;
  std::optional<NodeRuleWitness> witness;
  if (request.rules) {
    witness.emplace(*this, lab, request.node);
    if (witness->hasFirewall())
      options.rules = &*witness;
    else
      report.notes.push_back("--rules: " + request.node + " has no iptables, ip6tables or nftables table loaded, "
                             "so no rule decided; the flows name none");
  }
  ProbeLinks links(std::move(clients), std::move(segments));
  replay::replayThrough(*capture, *sides, links, options, report, diags);
  try {
    for (transports::PcapWriter& w : writers)
      w.close();
  } catch (const std::system_error& e) {
    throw RuntimeError(std::string("cannot write the side captures: ") + e.what());
  }
  return report;
}

} // namespace umlab::lab::runtime
