#include "port_names.hpp"

#include <cstring>

namespace umlab::switchd {

void PortNames::declare(const std::string& name) { conditions_.insert({name, {}}); }

void PortNames::declare(const std::string& name, const MacAddress& mac) {
  nameByMac_[mac] = name;
  conditions_.insert({name, {}});
}

void PortNames::nameBySource(Port& port, std::span<const uint8_t> frame) {
  MacAddress::Bytes source;
  std::memcpy(source.data(), frame.data() + 6, 6);
  if (auto it = nameByMac_.find(MacAddress(source)); it != nameByMac_.end())
    assign(port, it->second);
}

void PortNames::assign(Port& port, const std::string& name) {
  port.setName(name);
  seed(port);
  if (auto it = conditions_.find(name); it != conditions_.end()) {
    port.conditioner(Direction::In).setConditions(it->second.in);
    port.conditioner(Direction::Out).setConditions(it->second.out);
  }
}

void PortNames::seed(Port& port) const {
  const std::string key = port.name().empty() ? "port" + std::to_string(port.id()) : port.name();
  port.conditioner(Direction::In).reseed(seedFor(seed_, key, Direction::In));
  port.conditioner(Direction::Out).reseed(seedFor(seed_, key, Direction::Out));
}

PortNames::Conditions* PortNames::conditionsOf(std::string_view name) {
  auto it = conditions_.find(name);
  return it == conditions_.end() ? nullptr : &it->second;
}

} // namespace umlab::switchd
