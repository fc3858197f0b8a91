#pragma once
/// Re-addressing rules for replaying a capture onto a lab: `--map 203.0.113.0/24=198.51.100.0/24`
/// moves every address of the capture's 203.0.113.0/24 to the same host in 198.51.100.0/24.
///
/// Design notes
/// ------------
/// A rule is `FROM=TO`, two prefixes of the same family and the same length; the network part
/// is swapped and the host bits are kept, so a /24 maps 256 addresses one to one and a /32 (or
/// /128) maps one address. Prefixes are written in full ("192.0.2.10/32"): a bare address is
/// refused with the fix, so that a forgotten length never silently means "one host".
///
/// Rules may nest: the longest FROM that contains an address wins, as in a routing table, so
/// `--map 192.0.2.0/24=10.0.1.0/24 --map 192.0.2.10/32=10.0.9.9/32` sends 192.0.2.10 to
/// 10.0.9.9 and the rest of the /24 to 10.0.1.x. The same FROM twice is an error; two FROMs
/// mapping onto one TO are allowed (the map need not be invertible).
///
/// Errors are values (STYLE.md §9.4): each names the rule as the user wrote it, in quotes, then
/// what is wrong, e.g.
///
///     '203.0.113.0/24=10.0.0.0/16': both sides need the same prefix length (24 and 16)
///
/// Lookups scan the rules longest first; a replay has a handful of rules, so this beats a trie
/// in both size and clarity.

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/ip_address.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::transports {

struct AddressRule {
  IpPrefix from; ///< a network: no host bits set
  IpPrefix to;   ///< a network of the same family and length

  friend bool operator==(const AddressRule&, const AddressRule&) = default;
};

class AddressMap {
public:
  AddressMap() = default;

  /// A map of every rule in `rules`, or nothing after adding one error per bad rule to `diags`
  /// (all of them are checked, not just the first).
  static std::optional<AddressMap> parse(std::span<const std::string> rules, Diagnostics& diags);

  /// Parses `rule` and adds it. Returns the error, or nothing when the rule was added.
  [[nodiscard]] std::optional<std::string> add(std::string_view rule);

  /// Where `address` goes: the longest rule whose FROM contains it, or nothing.
  std::optional<IpAddress> map(const IpAddress& address) const;
  /// `map(address)`, or `address` itself when no rule covers it.
  IpAddress mapOrKeep(const IpAddress& address) const;

  /// Longest FROM first; among equal lengths, in the order added.
  const std::vector<AddressRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

private:
  std::vector<AddressRule> rules_;
};

} // namespace umlab::transports
