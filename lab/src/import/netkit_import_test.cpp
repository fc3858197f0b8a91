#include "umlab/lab/import/netkit_import.hpp"

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
  CHECK(text->find("    memory: 128M\n    forwarding: true\n") != std::string::npos);
  CHECK(text->find("      /etc/motd: tests/data/netkit/two-lans/pc1/etc/motd") != std::string::npos); // own tree wins
  CHECK(text->find("      /etc/lab-name: tests/data/netkit/two-lans/shared/etc/lab-name") != std::string::npos);
  CHECK(text->find("started by shared.startup") != std::string::npos);
  // What could not be carried over is reported and kept in the header, never dropped silently.
  CHECK(diags.warningCount() == 2);
  CHECK(rendered(diags).find("lab.conf:12:1: warning: pc1[image]=kathara/base is not carried over") != std::string::npos);
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
  CHECK(text->find("  b-x: {}") != std::string::npos);
  CHECK(text->find("  n2net: {type: switch}") != std::string::npos);
  SourceManager s2;
  Diagnostics d2;
  CHECK(compileText("x.yaml", *text, s2, d2));
}
