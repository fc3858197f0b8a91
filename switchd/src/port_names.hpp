#pragma once
// Port names, and what the switch keeps under them (internal to switchd/src).
//
// Design notes
// ------------
// A port is named when its client first sends from a MAC declared by `--port NAME=MAC` (or the
// admin command 'name port NAME MAC', for a NIC plugged in later), by `--uplink NAME=PATH`, or
// "replay". Link conditions set on a name are kept under the name, so they can be set before the
// port first joins and they survive the port leaving and joining again (a guest rebooting).
// Each direction of each port draws its random choices from a generator seeded from the switch's
// seed and the port's name ("port<id>" while it has none), so the same seed gives the same run.

#include "port.hpp"

#include "umlab/base/mac_address.hpp"
#include "umlab/switchd/link_conditioner.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace umlab::switchd {

class PortNames {
public:
  /// The conditions kept under a name, by direction.
  struct Conditions {
    LinkConditions in;
    LinkConditions out;
  };

  explicit PortNames(uint64_t seed) : seed_(seed) {}

  /// Declares `name` (an uplink's): conditions may be set on it before its port joins.
  void declare(const std::string& name);
  /// Declares `name` for the port whose client sends from `mac`.
  void declare(const std::string& name, const MacAddress& mac);
  /// True when some name waits for a client's MAC; only then does an unnamed port's traffic need
  /// looking at.
  bool hasMacNames() const { return !nameByMac_.empty(); }
  /// Names `port` after the source MAC of `frame` (an Ethernet frame, header complete) when a
  /// name was declared for that MAC.
  void nameBySource(Port& port, std::span<const uint8_t> frame);
  /// Gives `port` its name, the generator seeds that go with it and the conditions kept under it.
  void assign(Port& port, const std::string& name);
  /// Seeds `port`'s two directions from the switch's seed and the port's name.
  void seed(Port& port) const;

  uint64_t switchSeed() const { return seed_; }
  /// The ports already there are reseeded by the caller.
  void setSwitchSeed(uint64_t seed) { seed_ = seed; }
  /// The conditions kept under `name`, or nullptr when the name was never declared.
  Conditions* conditionsOf(std::string_view name);

private:
  uint64_t seed_;
  std::map<MacAddress, std::string> nameByMac_;
  std::map<std::string, Conditions, std::less<>> conditions_;
};

} // namespace umlab::switchd
