#include "umlab/lab/model/kind_registry.hpp"

namespace umlab::lab {

void registerBuiltinKinds(GuestKindRegistry& registry) {
  registry.add("host", {"an end host", false});
  registry.add("router", {"forwards IP between its interfaces", true});
  registry.add("firewall", {"forwards IP and filters it with iptables", true});
}

} // namespace umlab::lab
