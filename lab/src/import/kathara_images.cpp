#include "umlab/lab/import/kathara_images.hpp"

#include <algorithm>
#include <array>

namespace umlab::lab {
namespace {

/// "docker.io/kathara/frr:8.4" -> "kathara/frr".
std::string withoutTagAndRegistry(std::string name) {
  if (size_t colon = name.rfind(':'); colon != std::string::npos && name.find('/', colon) == std::string::npos)
    name.resize(colon);
  for (const char* registry : {"docker.io/", "registry.hub.docker.com/"})
    if (name.rfind(registry, 0) == 0)
      name = name.substr(std::string(registry).size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

struct Refusal {
  const char* prefix;
  const char* why;
};

constexpr std::array kRefused{
    Refusal{"kathara/p4", "its devices are P4 switches (bmv2 running compiled P4 programs), which umlab's Debian guests "
                          "do not have"},
    Refusal{"kathara/sdn", "its devices are Open vSwitch OpenFlow switches, which need the openvswitch kernel module "
                           "that Debian's UML kernel does not build"},
    Refusal{"kathara/pox", "its devices run the POX OpenFlow controller (Python 2), which Debian 12 does not package, "
                           "for Open vSwitch switches umlab's kernel cannot run"},
};

} // namespace

KatharaImageMapping mapKatharaImage(const std::string& name, const std::map<std::string, std::string>& userMap) {
  KatharaImageMapping m;
  if (auto it = userMap.find(name); it != userMap.end()) {
    m.outcome = KatharaImageMapping::Outcome::Image;
    m.image = it->second;
    return m;
  }
  const std::string base = withoutTagAndRegistry(name);
  if (auto it = userMap.find(base); it != userMap.end()) {
    m.outcome = KatharaImageMapping::Outcome::Image;
    m.image = it->second;
    return m;
  }
  if (base.empty() || base == "kathara/base" || base == "kathara/bind") {
    m.outcome = KatharaImageMapping::Outcome::Image;
    m.image = kKatharaDefaultImage;
    m.isBind911 = base == "kathara/bind";
    return m;
  }
  if (base == "kathara/frr" || base == "kathara/quagga") {
    m.outcome = KatharaImageMapping::Outcome::Image;
    m.image = "kathara-frr";
    m.startsQuagga = base == "kathara/quagga";
    return m;
  }
  if (base.size() >= 9 && base.compare(base.size() - 9, 9, "wireshark") == 0) {
    m.outcome = KatharaImageMapping::Outcome::Omit;
    m.note = "it is the lab's Wireshark viewer; umlab captures from the host instead: "
             "'umlab capture LAB SEGMENT | wireshark -k -i -'";
    return m;
  }
  for (const Refusal& r : kRefused)
    if (base.rfind(r.prefix, 0) == 0) {
      m.note = r.why;
      return m;
    }
  m.note = "umlab knows no equivalent (it maps kathara/base, kathara/bind, kathara/frr and kathara/quagga); give one "
           "with 'umlab import --image " + base + "=IMAGE', where IMAGE is an image of your own ('images:' in a "
           "topology, docs/topology.md)";
  return m;
}

} // namespace umlab::lab
