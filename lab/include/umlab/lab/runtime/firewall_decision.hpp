#pragma once
/// Which firewall rule decided a packet, from the node's counters read before and after it
/// crossed (`umlab replay --through NODE --rules`).
///
/// Design notes
/// ------------
/// The replay sends a new flow's first packet alone (nothing else of the replay in flight),
/// and reads the firewall's counters (node_inspection.hpp, `InspectionScope::Firewall`) before
/// and after it. A forwarded packet meets the forward chains only: iptables' and ip6tables'
/// `filter FORWARD` and the user chains it jumps to, nftables' chains of hook `forward` and
/// the regular chains they jump to. Of the rules whose packet counter rose there, the ones
/// that decide are those with a final verdict (iptables `-j ACCEPT|DROP|REJECT`, nftables
/// `accept|drop|reject`), plus a built-in chain's policy when iptables counted it. A jump, a
/// LOG or a counter-only rule is passed through, not a decision.
///
/// The answer names the rule as its tool writes it, so that it can be found in the rule set:
/// `iptables: -A FORWARD -i eth0 -p tcp -m tcp --dport 113 -j REJECT --reject-with tcp-reset`,
/// `iptables: -P FORWARD DROP` (the policy), `nftables: inet filter forward handle 7: tcp dport
/// 22 drop` (its counter words left out). Several decisions (a packet that meets both iptables
/// and nftables) are joined with "; ". Nothing (an nftables policy has no counter, a rule without
/// `counter` counts nothing, or other traffic moved the counters too) gives an empty string,
/// never a guess.

#include "umlab/lab/runtime/node_inspection.hpp"

#include <string>
#include <vector>

namespace umlab::lab::runtime {

/// The rules (and policies) that decided the packets counted between `before` and `after`,
/// named as above; "" when the counters do not tell.
std::string decidingRules(const std::vector<FirewallTable>& before, const std::vector<FirewallTable>& after);

} // namespace umlab::lab::runtime
