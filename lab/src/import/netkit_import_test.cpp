#include "umlab/lab/import/netkit_import.hpp"

#include "umlab/lab/import/kathara_images.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {

const std::string kTwoLans = std::string(UMLAB_SOURCE_DIR) + "/tests/data/netkit/two-lans";

std::string rendered(const Diagnostics& d) {
  std::ostringstream out;
  renderDiagnostics(d, out);
  return out.str();
}

} // namespace

TEST_CASE("a Netkit lab becomes a topology that compiles, with every node, domain and file", "[lab][import]") {
  SourceManager sources;
  Diagnostics diags;
  ImportOptions o;
  o.relativeTo = UMLAB_SOURCE_DIR;
  auto text = importNetkitLab(kTwoLans, o, sources, diags);
  INFO(rendered(diags));
  REQUIRE(text);
  INFO(*text);
  CHECK(text->find("name: two-lans\n") != std::string::npos);
  CHECK(text->find("description: \"two LANs joined by a router, in Netkit's format\"") != std::string::npos);
  CHECK(text->find("  - {endpoints: [r1:eth1, lanB]}") != std::string::npos);
  CHECK(text->find("  - {endpoints: [pc2:eth0, lanB], mac: \"02:00:00:00:0b:02\"}") != std::string::npos);
  CHECK(text->find("    memory: 128M\n") != std::string::npos);
  // Kathara's device defaults, written out: every device forwards, IPv6 is off.
  CHECK(text->find("defaults:\n  image: kathara-base\n  sysctls:\n    net.ipv4.ip_forward: \"1\"\n") != std::string::npos);
  CHECK(text->find("    net.ipv6.conf.all.disable_ipv6: \"1\"\n") != std::string::npos);
  CHECK(text->find("      /etc/motd: tests/data/netkit/two-lans/pc1/etc/motd") != std::string::npos);
  // shared/ is mounted at /shared, as in Kathara, not copied into every root.
  CHECK(text->find("  mounts: {/shared: tests/data/netkit/two-lans/shared}\n") != std::string::npos);
  CHECK(text->find("/etc/lab-name:") == std::string::npos);
  // shared.startup runs before the node's own.
  const size_t shared = text->find("started by shared.startup");
  REQUIRE(shared != std::string::npos);
  CHECK(shared < text->find("ip address add 10.1.1.1/24 dev eth0"));
  // What could not be carried over is reported and kept in the header, never dropped silently.
  CHECK(diags.warningCount() == 1);
  CHECK(rendered(diags).find("lab.conf:15:1: warning: pc2[num_terms]=0 is ignored") != std::string::npos);
  CHECK(text->find("#   ") != std::string::npos);
  SourceManager s2;
  Diagnostics d2;
  auto compiled = compileText((std::filesystem::path(UMLAB_SOURCE_DIR) / "imported.yaml").string(), *text, s2, d2);
  INFO(rendered(d2));
  REQUIRE(compiled);
  CHECK(compiled->topology.nodes.size() == 3);
  CHECK(compiled->topology.segments.size() == 2);
}

TEST_CASE("import reports what is not a Netkit lab", "[lab][import]") {
  TempDir dir("umlab-import");
  SourceManager sources;
  Diagnostics diags;
  CHECK_FALSE(importNetkitLab(dir.path().string(), {}, sources, diags));
  CHECK(rendered(diags).find("no lab.conf here") != std::string::npos);
  std::ofstream(dir.path() / "lab.conf") << "pc1[0]=A\nthis is not a setting\npc2[0]=B/zz:zz\npc3[mem]=lots\n";
  Diagnostics d2;
  CHECK_FALSE(importNetkitLab(dir.path().string(), {}, sources, d2));
  const std::string t = rendered(d2);
  CHECK(t.find("lab.conf:2:1: error: expected 'node[option]=value'") != std::string::npos);
  CHECK(t.find("lab.conf:3:1: error: 'zz:zz' is not a MAC address") != std::string::npos);
  CHECK(t.find("lab.conf:4:1: error: 'lots' is not a memory size in MiB") != std::string::npos);
}

TEST_CASE("imported names follow umlab's rules and never clash", "[lab][import]") {
  TempDir dir("umlab-import");
  std::ofstream(dir.path() / "lab.conf") << "a[0]=a\nb.x[0]=a\nb.x[1]=\"2net\"\n";
  SourceManager sources;
  Diagnostics diags;
  ImportOptions o;
  o.name = "clash";
  auto text = importNetkitLab(dir.path().string(), o, sources, diags);
  REQUIRE(text);
  CHECK(text->find("  cd-a: {type: switch}") != std::string::npos); // domain 'a' vs node 'a'
  CHECK(text->find("  b-x:\n") != std::string::npos);
  CHECK(text->find("  n2net: {type: switch}") != std::string::npos);
  SourceManager s2;
  Diagnostics d2;
  CHECK(compileText("x.yaml", *text, s2, d2));
}

namespace {

/// Writes `files` (path relative to the lab -> text) into a new lab directory.
struct LabDir {
  TempDir dir{"umlab-import"};
  explicit LabDir(std::initializer_list<std::pair<std::string, std::string>> files) {
    for (const auto& [path, text] : files) {
      std::filesystem::create_directories((dir.path() / path).parent_path());
      std::ofstream(dir.path() / path) << text;
    }
  }
  std::string path() const { return dir.path().string(); }
};

} // namespace

TEST_CASE("Kathara images map to umlab's, and those that cannot run are refused at their line", "[lab][import]") {
  CHECK(mapKatharaImage("kathara/base").image == "kathara-base");
  CHECK(mapKatharaImage("kathara/bind:9.11").image == "kathara-base");
  CHECK(mapKatharaImage("kathara/bind:9.11").isBind911);
  CHECK_FALSE(mapKatharaImage("kathara/base").isBind911);
  CHECK(mapKatharaImage("docker.io/kathara/frr:latest").image == "kathara-frr");
  CHECK(mapKatharaImage("kathara/quagga").startsQuagga);
  CHECK(mapKatharaImage("").image == "kathara-base");
  CHECK(mapKatharaImage("lscr.io/linuxserver/wireshark").outcome == KatharaImageMapping::Outcome::Omit);
  CHECK(mapKatharaImage("kathara/p4").outcome == KatharaImageMapping::Outcome::Refuse);
  CHECK(mapKatharaImage("kathara/pox").note.find("POX") != std::string::npos);
  CHECK(mapKatharaImage("ubuntu:22.04").outcome == KatharaImageMapping::Outcome::Refuse);
  CHECK(mapKatharaImage("ubuntu:22.04", {{"ubuntu", "mine"}}).image == "mine");

  LabDir lab({{"lab.conf", "s1[0]=A\ns1[image]=\"kathara/p4\"\nh1[0]=A\nc0[0]=A\nc0[image]=kathara/pox\n"}});
  SourceManager sources;
  Diagnostics diags;
  CHECK_FALSE(importNetkitLab(lab.path(), {}, sources, diags));
  const std::string t = rendered(diags);
  CHECK(t.find("lab.conf:2:1: error: device 's1' uses image 'kathara/p4', which umlab refuses: its devices are P4") !=
        std::string::npos);
  CHECK(t.find("lab.conf:5:1: error: device 'c0' uses image 'kathara/pox'") != std::string::npos);
}

TEST_CASE("Kathara's per-device options become topology settings", "[lab][import]") {
  LabDir lab({{"lab.conf", "LAB_IPV6_ENABLED=false\n"
                           "r1[0]=A\nr1[1]=B\nr1[image]=kathara/quagga\nr1[mem]=256m\nr1[ipv6]=true\n"
                           "r1[sysctl]=\"net.ipv4.ip_default_ttl=100\"\nr1[exec]=\"touch /tmp/exec-ran\"\n"
                           "r1[env]=\"GREETING=hello\"\n"
                           "pc1[0]=A/00:00:00:00:00:01\npc1[bridged]=true\npc1[port]=\"8080:80\"\npc1[cpus]=2\n"
                           "ws[0]=A\nws[image]=lscr.io/linuxserver/wireshark\nws[port]=\"3000:3000\"\n"},
              {"lab.dep", "pc1: r1\n"},
              {"r1.startup", "ip address add 10.0.0.1/24 dev eth0\necho last line without a newline > /tmp/last"},
              {"pc1.shutdown", "echo bye > /shared/bye\n"},
              {"shared.shutdown", "echo shared bye\n"},
              {"shared/readme", "shared\n"}});
  SourceManager sources;
  Diagnostics diags;
  auto text = importNetkitLab(lab.path(), {}, sources, diags);
  INFO(rendered(diags));
  REQUIRE(text);
  INFO(*text);
  CHECK(text->find("  r1:\n    image: kathara-frr") != std::string::npos);
  CHECK(text->find("    memory: 256M\n") != std::string::npos);
  CHECK(text->find("      net.ipv6.conf.all.disable_ipv6: \"0\"\n") != std::string::npos); // [ipv6]=true
  CHECK(text->find("      net.ipv4.ip_default_ttl: \"100\"\n") != std::string::npos);
  CHECK(text->find("      - export GREETING=hello\n") != std::string::npos);
  CHECK(text->find("        echo last line without a newline > /tmp/last\n") != std::string::npos);
  CHECK(text->find("      - touch /tmp/exec-ran\n      - /etc/init.d/quagga start\n") != std::string::npos);
  CHECK(text->find("    depends-on: [r1]\n") != std::string::npos);
  CHECK(text->find("    shutdown:\n      - |\n        echo bye > /shared/bye\n      - |\n        echo shared bye\n") !=
        std::string::npos);
  CHECK(text->find("  - {endpoints: [pc1:eth1, host]}") != std::string::npos);
  CHECK(text->find("  ws:") == std::string::npos); // the Wireshark viewer is left out
  const std::string t = rendered(diags);
  CHECK(t.find("pc1[port]=8080:80 is refused") != std::string::npos);
  CHECK(t.find("pc1[cpus]=2 is ignored: a UML guest has one CPU") != std::string::npos);
  CHECK(t.find("device 'ws' (image 'lscr.io/linuxserver/wireshark') is left out") != std::string::npos);
  SourceManager s2;
  Diagnostics d2;
  auto compiled = compileText((std::filesystem::path(lab.path()) / "imported.yaml").string(), *text, s2, d2);
  INFO(rendered(d2));
  REQUIRE(compiled);
  const Node& pc1 = compiled->topology.nodes[0];
  CHECK(pc1.name == "pc1");
  CHECK(pc1.dependsOn == std::vector<std::string>{"r1"});
  REQUIRE(pc1.mount);
  CHECK(pc1.mount->guestPath == "/shared");
}

TEST_CASE("lab.ext and unknown lab.dep devices are refused with their file and line", "[lab][import]") {
  LabDir lab({{"lab.conf", "a[0]=A\n"}, {"lab.dep", "a: b\n"}, {"lab.ext", "A eth0.10\n"}});
  SourceManager sources;
  Diagnostics diags;
  CHECK_FALSE(importNetkitLab(lab.path(), {}, sources, diags));
  const std::string t = rendered(diags);
  CHECK(t.find("lab.ext:1:1: error: lab.ext attaches collision domains to the host's network interfaces") != std::string::npos);
  CHECK(t.find("lab.dep:1:3: error: lab.dep: 'a' depends on device 'b', which the lab does not have") != std::string::npos);
}
