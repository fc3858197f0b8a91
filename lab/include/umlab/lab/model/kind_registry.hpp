#pragma once
/// Guest kinds: `kind: router` gives a node the kind's defaults. A registry is an ordinary object
/// filled by an explicit call (containerlab's RegisterNodes, minus the global map); a topology's
/// own `kinds:` section adds to it per file. Kinds not in either are allowed ("free" kinds such
/// as `ids` or `web`): they only label the node, for people and for the GUI's icons.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab {

struct KindDefaults {
  std::string description;
  std::optional<bool> forwarding; ///< net.ipv4.ip_forward and IPv6 forwarding
};

class GuestKindRegistry {
public:
  void add(std::string name, KindDefaults defaults) { kinds_[std::move(name)] = std::move(defaults); }
  const KindDefaults* find(const std::string& name) const {
    auto it = kinds_.find(name);
    return it == kinds_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> r;
    for (const auto& [k, v] : kinds_)
      r.push_back(k);
    return r;
  }

private:
  std::map<std::string, KindDefaults> kinds_;
};

/// host (no forwarding), router and firewall (forwarding on).
void registerBuiltinKinds(GuestKindRegistry& registry);

} // namespace umlab::lab
