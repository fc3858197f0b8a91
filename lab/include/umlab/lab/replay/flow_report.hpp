#pragma once
/// What a replay through a node found: one record per flow, its verdict, and the packets that
/// could not be replayed and why. Rendered as text (for people), JSON and CSV (for scripts and
/// `umlab test`).
///
/// Design notes
/// ------------
/// A flow is a 5-tuple in both directions (`transports::FlowTuple`, addresses as mapped onto the
/// lab). Its "forward" direction is the one its first replayed packet took; the other is
/// "reverse". Each direction counts the packets injected on the sender's side (`sent`), those
/// seen leaving the node on the receiver's side (`delivered`) and the rejections the node sent
/// back for them (`rejected`: an ICMP destination unreachable quoting one, or a TCP reset).
///
/// The verdict, over both directions:
///   passed    every packet sent was delivered;
///   rejected  none was delivered and the node answered with a rejection;
///   dropped   none was delivered and nothing came back;
///   partial   some were delivered and some not (a rule that allows the handshake but not the
///             data, a rate limit, a lossy link).
/// A rejection is told apart from a drop only by what comes back, as a client would tell them.
///
/// JSON: {"flows": [{"proto", "src", "sport", "dst", "dport", "sent", "delivered", "verdict",
/// "rejected", "reason", "rule", "forward": {...}, "reverse": {...}}, ...], "packets": {...},
/// "skipped": [{"reason", "packets", "example"}, ...], "notes": [...], "complete": true|false}. "sent" and "delivered"
/// count both directions. CSV: one header line, then one line per flow with the same first
/// eight columns plus "rejected,reason,rule".

#include "umlab/transports/packet_flow.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace umlab::lab::replay {

enum class Verdict { Passed, Rejected, Dropped, Partial };
/// "passed", "rejected", "dropped", "partial".
const char* verdictName(Verdict v);
std::optional<Verdict> parseVerdict(std::string_view word);

struct DirectionCount {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t rejected = 0;
};

struct FlowRecord {
  transports::FlowTuple tuple; ///< as its first packet went, mapped onto the lab
  DirectionCount forward, reverse;
  std::string reason; ///< the first rejection seen: "icmp port-unreachable from 10.0.1.1"
  std::string rule;   ///< the rule that decided, when the node's counters told (else empty)

  uint64_t sent() const { return forward.sent + reverse.sent; }
  uint64_t delivered() const { return forward.delivered + reverse.delivered; }
  uint64_t rejected() const { return forward.rejected + reverse.rejected; }
  Verdict verdict() const;
};

/// The flows of one replay, in the order they first appeared.
class FlowTable {
public:
  /// The record of the flow `tuple` belongs to (in either direction), made when new;
  /// `isReverse` says which direction `tuple` is.
  FlowRecord& find(const transports::FlowTuple& tuple, bool& isReverse);
  /// As `find`, the flow's index in `flows()`.
  size_t indexOf(const transports::FlowTuple& tuple, bool& isReverse);
  /// The flow `tuple` belongs to (index, isReverse), if there is one already.
  std::optional<std::pair<size_t, bool>> lookup(const transports::FlowTuple& tuple) const;
  /// The count of `tuple`'s direction in its flow.
  DirectionCount& count(const transports::FlowTuple& tuple);

  const std::vector<FlowRecord>& flows() const { return flows_; }
  std::vector<FlowRecord>& flows() { return flows_; }

private:
  std::vector<FlowRecord> flows_;
  std::unordered_map<transports::FlowTuple, size_t> index_; ///< forward tuples
};

/// Packets skipped for one reason, with the first as an example ("frame 12: 192.0.2.7").
struct SkipCount {
  uint64_t packets = 0;
  std::string example;
};

struct ReplayReport {
  std::string lab, node, capture;
  FlowTable flows;
  uint64_t packetsRead = 0;     ///< frames read from the capture
  uint64_t packetsInjected = 0; ///< sent into the lab
  std::map<std::string, SkipCount> skipped; ///< by reason
  std::vector<std::string> notes; ///< what the reader should know ("10.0.1.10 is web's: it answers too")
  bool isComplete = true; ///< false: stopped early (Ctrl-C), the verdicts so far
  double seconds = 0;

  uint64_t packetsSkipped() const;
};

std::string renderText(const ReplayReport& report);
std::string renderJson(const ReplayReport& report);
std::string renderCsv(const ReplayReport& report);

/// "tcp", "udp", "icmp", "icmpv6", else the protocol number.
std::string protocolName(uint8_t protocol);

} // namespace umlab::lab::replay
