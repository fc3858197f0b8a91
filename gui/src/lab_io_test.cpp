#include "umlab/gui/lab_io.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/temp_dir.hpp"
#include "test_support.hpp"
#include "umlab/gui/yaml_writer.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace umlab;
using namespace umlab::gui;
namespace fs = std::filesystem;

TEST_CASE("every example topology opens without errors, with a position for everything", "[gui][io]") {
  for (const std::string& path : test::exampleTopologies()) {
    INFO(path);
    LoadedLab loaded = loadLab(path);
    REQUIRE(loaded.lab);
    CHECK(loaded.report.errorCount == 0);
    CHECK(loaded.report.summary.find(": ok: lab '") != std::string::npos);
    std::set<std::pair<double, double>> seen;
    for (const NodeData& n : loaded.lab->nodes)
      seen.emplace(n.position.x, n.position.y);
    for (const SegmentData& s : loaded.lab->segments)
      seen.emplace(s.position.x, s.position.y);
    CHECK(seen.size() == loaded.lab->nodes.size() + loaded.lab->segments.size()); // nothing stacked
  }
}

TEST_CASE("open, save and open again gives the same lab for every example", "[gui][io]") {
  TempDir dir("umlab-gui-test");
  for (const std::string& path : test::exampleTopologies()) {
    INFO(path);
    LoadedLab first = loadLab(path);
    REQUIRE(first.lab);
    // Saved beside the original, so that relative paths keep their meaning...
    const std::string beside = fs::path(path).parent_path() / ".gui-roundtrip.yaml";
    const std::string saved = writeLabYaml(*first.lab).text;
    LoadedLab second = loadLabText(beside, saved);
    REQUIRE(second.lab);
    CHECK(second.report.errorCount == 0);
    CHECK(test::describeTopology(path) == test::describeTopologyText(beside, saved));
    // ...with every position kept, and writing it again changes nothing.
    CHECK(second.lab->nodes == first.lab->nodes);
    CHECK(second.lab->segments == first.lab->segments);
    CHECK(second.lab->links == first.lab->links);
    CHECK(*second.lab == *first.lab);
    CHECK(writeLabYaml(*second.lab).text == saved);

    // Saved elsewhere, relative paths are rewritten to name the same files.
    LabData moved = *first.lab;
    rebaseRelativePaths(moved, dir.path().string());
    const std::string elsewhere = dir.file(fs::path(path).filename().string());
    std::ofstream(elsewhere) << writeLabYaml(moved).text;
    CHECK(test::describeTopology(path) == test::describeTopology(elsewhere));
  }
}

TEST_CASE("every diagnostics fixture that loads writes back to a fixed point", "[gui][io]") {
  for (const auto& entry : fs::directory_iterator(std::string(UMLAB_SOURCE_DIR) + "/tests/data/diag")) {
    const std::string path = (entry.path() / "lab.yaml").string();
    if (!fs::exists(path))
      continue;
    INFO(path);
    LoadedLab first = loadLab(path);
    if (!first.lab)
      continue;
    const std::string once = writeLabYaml(*first.lab).text;
    LoadedLab second = loadLabText(path, once);
    REQUIRE(second.lab);
    CHECK(writeLabYaml(*second.lab).text == once);
  }
}

TEST_CASE("the report has the text umlab validate prints and names the element", "[gui][io]") {
  TempDir dir("umlab-gui-test");
  const std::string path = dir.file("broken.yaml");
  std::ofstream(path) << "name: broken\n"
                         "nodes:\n"
                         "  pc1: {memroy: 96M}\n"
                         "  pc2: {}\n"
                         "segments:\n"
                         "  sw: {type: switch}\n"
                         "links:\n"
                         "  - {endpoints: [pc9:eth0, sw]}\n"
                         "  - {endpoints: [pc2:eth0, sw]}\n";
  LoadedLab loaded = loadLab(path);
  REQUIRE(loaded.lab);
  CHECK(loaded.report.errorCount == 2);
  const test::CommandOutput cli = test::runUmlab({"validate", path});
  CHECK(cli.exitCode == 1);
  CHECK(loaded.report.text() == cli.output);
  REQUIRE(loaded.report.entries.size() >= 2);
  CHECK(loaded.report.entries[0].element == loaded.lab->findNodeByName("pc1")->id);
  CHECK(loaded.report.entries[0].text.find("unknown key 'memroy' in node 'pc1'; did you mean 'memory'?") !=
        std::string::npos);
  CHECK(loaded.report.entries[1].element == loaded.lab->links[0].id);
  // The link to the unknown node is kept, with the name as written.
  CHECK(endpointText(*loaded.lab, loaded.lab->links[0].ends[0]) == "pc9:eth0");
}

TEST_CASE("a valid file's report is umlab validate's ok line", "[gui][io]") {
  const std::string path = "topologies/dmz.yaml";
  LoadedLab loaded = loadLab(path);
  const test::CommandOutput cli = test::runUmlab({"validate", path});
  CHECK(cli.exitCode == 0);
  CHECK(loaded.report.text() == cli.output);
}

TEST_CASE("comments stay with the element they stood next to", "[gui][io]") {
  const std::string text = "# header line 1\n"
                           "# header line 2\n"
                           "name: c\n"
                           "nodes:   # the guests\n"
                           "  # the router\n"
                           "  r1: {kind: router}   # forwards\n"
                           "  web:\n"
                           "    startup:\n"
                           "      # a comment inside moves above the node\n"
                           "      - |\n"
                           "        # this is shell text, not a YAML comment\n"
                           "        echo hi\n"
                           "segments:\n"
                           "  lan: switch\n"
                           "links:\n"
                           "  - {endpoints: [r1:eth0, lan]}   # first link\n"
                           "  - {endpoints: [web:eth0, lan]}\n"
                           "# the end\n";
  LoadedLab loaded = loadLabText("c.yaml", text);
  REQUIRE(loaded.lab);
  const LabData& lab = *loaded.lab;
  CHECK(lab.header == std::vector<std::string>{"# header line 1", "# header line 2"});
  CHECK(lab.sectionComments.at("nodes").trailing == "# the guests");
  CHECK(lab.nodes[0].comments.before == std::vector<std::string>{"# the router"});
  CHECK(lab.nodes[0].comments.trailing == "# forwards");
  CHECK(lab.nodes[1].comments.before == std::vector<std::string>{"# a comment inside moves above the node"});
  CHECK((*lab.nodes[1].settings.startup)[0] == "# this is shell text, not a YAML comment\necho hi\n");
  CHECK(lab.links[0].comments.trailing == "# first link");
  CHECK(lab.footer == std::vector<std::string>{"# the end"});
  const std::string written = writeLabYaml(lab).text;
  CHECK(written.rfind("# header line 1\n# header line 2\nname: c\nnodes:  # the guests\n  # the router\n", 0) == 0);
  LoadedLab again = loadLabText("c.yaml", written);
  REQUIRE(again.lab);
  CHECK(again.lab->header == lab.header);
  CHECK(again.lab->nodes == lab.nodes);
  CHECK(again.lab->links == lab.links);
  CHECK(again.lab->footer == lab.footer);
}

TEST_CASE("positions from layout hints are kept and the rest match umlab graph", "[gui][io]") {
  LoadedLab loaded = loadLabText("l.yaml", "name: l\n"
                                           "nodes:\n"
                                           "  a: {layout: {x: 1e3, y: -40.5}}\n"
                                           "  b: {}\n"
                                           "segments: {s: switch}\n"
                                           "links:\n"
                                           "  - {endpoints: [a:eth0, s]}\n"
                                           "  - {endpoints: [b:eth0, s]}\n");
  REQUIRE(loaded.lab);
  CHECK(loaded.lab->nodes[0].position == Position{1000, -40.5});
  CHECK(loaded.placed == std::vector<ElementId>{loaded.lab->nodes[1].id, loaded.lab->segments[0].id});
  const std::string written = writeLabYaml(*loaded.lab).text;
  CHECK(written.find("  a: {layout: {x: 1000, y: -40.5}}\n") != std::string::npos);
}

TEST_CASE("a file that is not YAML gives no document and the CLI's message", "[gui][io]") {
  LoadedLab loaded = loadLabText("bad.yaml", "name: [unclosed\n");
  CHECK_FALSE(loaded.lab);
  CHECK(loaded.report.errorCount == 1);
  CHECK(loaded.report.summary == "bad.yaml: 1 error");
}

TEST_CASE("every key of the format survives open and save, and umlab validate accepts the saved file", "[gui][io]") {
  TempDir dir("umlab-gui-test");
  fs::create_directories(dir.path() / "shared");
  std::ofstream(dir.file("motd")) << "hello\n";
  std::ofstream(dir.file("greeting.txt")) << "hi\n";
  fs::copy_file(std::string(UMLAB_SOURCE_DIR) + "/captures/ping.pcap", dir.file("ping.pcap"));
  const std::string path = dir.file("all.yaml");
  std::ofstream(path) << "name: all\n"
                         "description: every key\n"
                         "defaults:\n"
                         "  memory: 128M\n"
                         "  image: debian\n"
                         "  kernel: debian\n"
                         "  shutdown: [sync]\n"
                         "  sysctls: {net.ipv4.conf.all.rp_filter: 0}\n"
                         "images:   # recipes\n"
                         "  # a greeter\n"
                         "  greeter:\n"
                         "    from: debian\n"
                         "    packages: hello\n"
                         "    files: {/etc/greeting: greeting.txt}\n"
                         "    run:\n"
                         "      - echo built > /etc/recipe-ran\n"
                         "      - |\n"
                         "        for f in a b; do\n"
                         "          touch /etc/$f\n"
                         "        done\n"
                         "    size: 1G\n"
                         "  empty:\n"
                         "kinds:\n"
                         "  ids: {kernel: umlab, memory: 96M}\n"
                         "  router:\n"
                         "    sysctls: {net.ipv4.ip_default_ttl: 100}\n"
                         "    mounts: {/shared: shared}\n"
                         "nodes:\n"
                         "  r1:\n"
                         "    kind: router\n"
                         "    files: {/etc/motd: motd}\n"
                         "    shutdown: echo bye\n"
                         "    routes:\n"
                         "      - {to: 10.0.9.0/24, via: 10.0.0.2}\n"
                         "  pc1: {image: greeter, depends-on: r1, sysctls: {net.ipv4.icmp_ratelimit: 0}}\n"
                         "  pc2: {depends-on: [r1, pc1], mounts: {}, shutdown: []}\n"
                         "  ids: {kind: ids}\n"
                         "segments:\n"
                         "  lan: {type: hub}\n"
                         "  outside: {transport: bess, injected: true}\n"
                         "links:\n"
                         "  - {endpoints: [r1:eth1, outside]}\n"
                         "  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
                         "  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.2/24, gateway: 10.0.0.1, delay: 5ms, jitter: 1ms}\n"
                         "  - {endpoints: [pc2:eth0, lan], loss: 1%, rate: 10mbit, duplicate: 0.1%, corrupt: 0.1%}\n"
                         "monitors:\n"
                         "  - {node: ids, iface: eth0, mirror: lan, filter: tcp port 80}\n"
                         "  - {node: ids, iface: eth1, mirror: lan, filter: \"\", mac: \"02:00:00:00:00:09\"}\n"
                         "replays:\n"
                         "  - {segment: lan, pcap: ping.pcap, speed: 2, loop: 3, rewrite-mac: true}\n";
  REQUIRE(test::runUmlab({"validate", path}).exitCode == 0);
  LoadedLab first = loadLab(path);
  REQUIRE(first.lab);
  CHECK(first.report.errorCount == 0);
  const LabData& lab = *first.lab;
  REQUIRE(lab.images.size() == 2);
  CHECK(lab.images[0].packages == std::vector<std::string>{"hello"});
  CHECK(lab.images[0].run.size() == 2);
  CHECK(lab.images[0].comments.before == std::vector<std::string>{"# a greeter"});
  CHECK(lab.kinds[0].settings.kernel == "umlab");
  CHECK(lab.nodes[0].settings.shutdown == std::vector<std::string>{"echo bye"});
  CHECK(lab.nodes[2].dependsOn == std::vector<NodeRef>{{lab.nodes[0].id, ""}, {lab.nodes[1].id, ""}});
  CHECK(lab.nodes[2].settings.mounts == KeyValueList{});
  CHECK(lab.monitors[0].filter == "tcp port 80");
  CHECK(lab.monitors[1].filter == "");

  const std::string saved = writeLabYaml(lab).text;
  CHECK(saved.find("  pc2: {shutdown: [], mounts: {}, depends-on: [r1, pc1], layout: {") != std::string::npos);
  CHECK(saved.find("filter: \"\"") != std::string::npos);
  CHECK(saved.find("images:  # recipes\n  # a greeter\n  greeter:\n    from: debian\n    packages: [hello]\n") !=
        std::string::npos);
  CHECK(saved.find("  empty: {}\n") != std::string::npos);
  CHECK(saved.find("  outside: {transport: bess, injected: true, layout: {") != std::string::npos);
  const std::string again = dir.file("again.yaml");
  std::ofstream(again) << saved;
  const test::CommandOutput cli = test::runUmlab({"validate", again});
  CHECK(cli.exitCode == 0);
  CHECK(test::describeTopology(path) == test::describeTopology(again));
  CHECK(test::describeTopology(again).find("kernel=umlab") != std::string::npos);
  LoadedLab second = loadLab(again);
  REQUIRE(second.lab);
  second.lab->baseDir = lab.baseDir;
  CHECK(*second.lab == lab);
  CHECK(writeLabYaml(*second.lab).text == saved);

  // Saved elsewhere, the image's and the mount's host paths still name the same files.
  LabData moved = lab;
  TempDir other("umlab-gui-test");
  rebaseRelativePaths(moved, other.path().string());
  const std::string elsewhere = other.file("all.yaml");
  std::ofstream(elsewhere) << writeLabYaml(moved).text;
  CHECK(test::describeTopology(path) == test::describeTopology(elsewhere));
}
