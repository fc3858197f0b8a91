// The `umlab` command line: help, exit codes, output files, and the inputs that are made at
// test time rather than stored (a 50 MB file).
#include "test_support.hpp"

#include <regex>
#include <set>

#include "umlab/lab/runtime/user_account.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace umlab::test;

TEST_CASE("every command has --help and exits 0 with it", "[cli]") {
  for (const char* cmd : {"validate", "plan", "graph", "limits", "doctor", "class", "node", "inspect"}) {
    CliResult r = runUmlab({cmd, "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.rfind(std::string("usage: umlab ") + cmd, 0) == 0);
    CHECK(r.err.empty());
    CliResult h = runUmlab({"help", cmd});
    CHECK(h.out == r.out);
  }
  CliResult top = runUmlab({"--help"});
  CHECK(top.status == 0);
  CHECK(top.out.find("validate FILE...") != std::string::npos);
  CliResult none = runUmlab({});
  CHECK(none.status == 2);
  CHECK(none.err.rfind("usage: umlab", 0) == 0);
}

TEST_CASE("doctor refuses a format it does not know and a second file", "[cli][doctor]") {
  CliResult format = runUmlab({"doctor", "--format", "xml"});
  CHECK(format.status == 2);
  CHECK(format.err == "umlab: error: --format takes 'text' or 'json', not 'xml'\n");
  CliResult two = runUmlab({"doctor", "a.yaml", "b.yaml"});
  CHECK(two.status == 2);
  CHECK(two.err == "umlab: error: doctor takes at most one topology file, as in 'umlab doctor topologies/lan.yaml'\n");
  CHECK(runUmlab({"--help"}).out.find("  doctor [LAB.yaml]") != std::string::npos);
}

TEST_CASE("a 50 MB file is refused before it is read", "[cli][diag]") {
  TempDir dir;
  const fs::path big = dir.path() / "big.yaml";
  int fd = ::open(big.c_str(), O_CREAT | O_WRONLY, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, 50 << 20) == 0);
  ::close(fd);
  CliResult r = runUmlab({"validate", "big.yaml"}, dir.path());
  CHECK(r.status == 1);
  CHECK(r.err == "big.yaml: error: the file is 50.0 MiB; topology files are limited to 4.0 MiB\n"
                 "big.yaml: 1 error\n");
}

TEST_CASE("validate reports each file and fails if any fails", "[cli]") {
  CliResult r = runUmlab({"validate", "topologies/lan.yaml", "tests/data/diag/memory/lab.yaml", "topologies/routed.yaml"},
                         sourceDir());
  CHECK(r.status == 1);
  CHECK(r.out == "topologies/lan.yaml: ok: lab 'lan', 3 nodes, 1 segment, 3 links\n"
                 "topologies/routed.yaml: ok: lab 'routed', 6 nodes, 3 segments, 8 links\n");
  CHECK(r.err.find("tests/data/diag/memory/lab.yaml: 4 errors\n") != std::string::npos);
  CliResult quiet = runUmlab({"validate", "-q", "topologies/lan.yaml"}, sourceDir());
  CHECK(quiet.status == 0);
  CHECK(quiet.out.empty());
}

TEST_CASE("validate --werror turns warnings into a failure", "[cli]") {
  CliResult r = runUmlab({"validate", "--werror", "tests/data/diag/warnings/lab.yaml"}, sourceDir());
  CHECK(r.status == 1);
  CliResult ok = runUmlab({"validate", "tests/data/diag/warnings/lab.yaml"}, sourceDir());
  CHECK(ok.status == 0);
}

TEST_CASE("validate --max-errors changes the limit", "[cli]") {
  CliResult r = runUmlab({"validate", "--max-errors", "2", "tests/data/diag/too-many-errors/lab.yaml"}, sourceDir());
  CHECK(r.status == 1);
  CHECK(r.err.find("umlab: error: too many errors (23 in all); only the first 2 are shown\n") != std::string::npos);
  CliResult all = runUmlab({"validate", "--max-errors=0", "tests/data/diag/too-many-errors/lab.yaml"}, sourceDir());
  CHECK(all.err.find("too many errors") == std::string::npos);
  CliResult bad = runUmlab({"validate", "--max-errors", "lots", "x.yaml"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "umlab: error: --max-errors needs a number, not 'lots'\n");
}

TEST_CASE("plan --format json and -o write the plan to a file", "[cli][plan]") {
  TempDir dir;
  const fs::path out = dir.path() / "plan.json";
  CliResult r = runUmlab({"plan", "topologies/lan.yaml", "--format", "json", "--state-dir", "/srv/labs", "-o", out.string()},
                         sourceDir());
  CHECK(r.status == 0);
  CHECK(r.out.empty());
  std::string json = readFile(out);
  CHECK(json.rfind("{\n  \"lab\": \"lan\",", 0) == 0);
  CHECK(json.find("\"stateDir\": \"/srv/labs/lan\"") != std::string::npos);
  CHECK(json.find("\"umlArg\": \"eth0=daemon,") != std::string::npos);
}

TEST_CASE("plan refuses a state directory UML cannot take", "[cli][plan]") {
  CliResult r = runUmlab({"plan", "topologies/lan.yaml", "--state-dir", "/tmp/my labs"}, sourceDir());
  CHECK(r.status == 1);
  CHECK(r.err == "umlab: error: the state directory '/tmp/my labs/lan' holds a character that UML's command line "
                 "splits on (',', '=' or white space); set UMLAB_STATE_DIR to a directory without them\n");
  const std::string deep = "/tmp/" + std::string(90, 'd');
  CliResult longer = runUmlab({"plan", "topologies/lan.yaml", "--state-dir", deep}, sourceDir());
  CHECK(longer.status == 1);
  CHECK(longer.err.find("unix sockets allow 107, so set UMLAB_STATE_DIR to a shorter directory") != std::string::npos);
}

TEST_CASE("plan --hosts places every guest on a host, with fewer tunnels than round-robin", "[cli][plan]") {
  CliResult r = runUmlab({"plan", "topologies/large.yaml", "--hosts", "4", "--format", "json"}, sourceDir());
  REQUIRE(r.status == 0);
  const std::regex placement(R"("placement": \{\s*"hosts": 4,\s*"tunnels": ([0-9]+),\s*"roundRobinTunnels": ([0-9]+)\s*\})");
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, placement));
  CHECK(std::stoul(m[1].str()) * 4 < std::stoul(m[2].str()));
  std::set<std::string> hosts;
  size_t guests = 0;
  const std::regex host(R"("host": ([0-9]+),)");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), host); it != std::sregex_iterator(); ++it, ++guests)
    hosts.insert((*it)[1].str());
  CHECK(guests == 200); // every guest of the 200-node lab
  CHECK(hosts == std::set<std::string>{"0", "1", "2", "3"});
  CliResult text = runUmlab({"plan", "topologies/large.yaml", "--hosts", "4"}, sourceDir());
  CHECK(text.out.find("placement 4 hosts, ") != std::string::npos);

  CliResult full = runUmlab({"plan", "topologies/large.yaml", "--hosts", "2", "--host-guests", "50"}, sourceDir());
  CHECK(full.status == 1);
  CHECK(full.err.find("200 guests do not fit on 2 hosts of 50 guests each") != std::string::npos);
  CHECK(runUmlab({"plan", "topologies/large.yaml", "--host-guests", "50"}, sourceDir()).status == 2);
  CHECK(runUmlab({"plan", "topologies/large.yaml", "--hosts", "0"}, sourceDir()).status == 2);
  CHECK(runUmlab({"plan", "topologies/large.yaml", "--hosts", "4", "--host-memory", "lots"}, sourceDir()).status == 2);
}

TEST_CASE("graph draws every node, segment and link", "[cli][graph]") {
  CliResult dot = runUmlab({"graph", "topologies/dmz.yaml"}, sourceDir());
  CHECK(dot.status == 0);
  CHECK(dot.out.rfind("graph \"dmz\" {", 0) == 0);
  for (const char* item : {"\"n:fw\"", "\"n:web\"", "\"n:pc1\"", "\"n:wan1\"", "\"s:inside\" [", "\"s:outside\" [",
                           "\"n:fw\" -- \"n:web\"", "\"n:pc1\" -- \"s:inside\""})
    CHECK(dot.out.find(item) != std::string::npos);
  CliResult json = runUmlab({"graph", "topologies/dmz.yaml", "--format", "json"}, sourceDir());
  CHECK(json.status == 0);
  CHECK(json.out.find("\"components\": 1") != std::string::npos);
  if (::access("/usr/bin/neato", X_OK) == 0) {
    CliResult svg = runUmlab({"graph", "topologies/dmz.yaml", "--format", "svg"}, sourceDir());
    CHECK(svg.status == 0);
    CHECK(svg.out.find("<svg") != std::string::npos);
    CHECK(svg.out.find(">fw<") != std::string::npos);
  } else {
    WARN("graphviz 'neato' is not installed: the SVG output is not checked");
  }
}

TEST_CASE("graph writes a Mermaid flowchart and a draw.io file", "[cli][graph]") {
  CliResult m = runUmlab({"graph", "topologies/dmz.yaml", "--format", "mermaid"}, sourceDir());
  CHECK(m.status == 0);
  CHECK(m.err.empty());
  CHECK(m.out.rfind("---\ntitle: \"lab dmz\"\n---\nflowchart ", 0) == 0);
  for (const char* item : {"  n0[[\"fw<br/>firewall\"]]:::firewall\n", "  n1(\"web<br/>server\"):::guest\n",
                           "  s0([\"inside<br/>switch\"]):::segment\n", "  n0 ---|\"eth0<br/>10.0.0.1/24\"| s0\n",
                           "  n0 -.-|\"fw:eth1 10.0.1.1/24<br/>web:eth0 10.0.1.10/24<br/>delay 5ms loss 0.1%\"| n1\n",
                           "  n4 ---|\"eth0<br/>198.51.100.20/24\"| s1\n"})
    CHECK(m.out.find(item) != std::string::npos);

  TempDir dir;
  CliResult d = runUmlab({"graph", sourceDir() + "/topologies/dmz.yaml", "--format", "drawio", "-o", "dmz.drawio"}, dir.path());
  CHECK(d.status == 0);
  CHECK(d.err.empty());
  const std::string x = readFile(dir.path() / "dmz.drawio");
  CHECK(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mxfile ", 0) == 0);
  for (const char* item : {"<mxCell id=\"n0\" value=\"fw&#10;firewall\"", "<mxCell id=\"s1\" value=\"outside&#10;switch\"",
                           "source=\"n0\" target=\"n1\"", "value=\"delay 5ms loss 0.1%\"", "value=\"eth0&#10;10.0.1.10/24\""})
    CHECK(x.find(item) != std::string::npos);
  size_t edges = 0;
  for (size_t at = x.find("edge=\"1\""); at != std::string::npos; at = x.find("edge=\"1\"", at + 1))
    ++edges;
  CHECK(edges == 6);
}

TEST_CASE("limits without --user shows the limits of whoever runs it", "[cli][limits]") {
  TempDir dir;
  writeFile(dir.path() / "limits.yaml", "default: {max-guests: 3}\n");
  CliResult r = runUmlab({"limits", "--file", "limits.yaml"}, dir.path());
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  const umlab::lab::runtime::UserAccount me = umlab::lab::runtime::currentUserAccount();
  if (me.isRoot()) {
    CHECK(r.out == "limits.yaml: ok: default\nlimits of " + me.name + ": none, root is never limited\n");
  } else {
    CHECK(r.out.find("limits of " + me.name + " (") != std::string::npos);
    CHECK(r.out.find("  max-guests  3          default, limits.yaml:1:23\n") != std::string::npos);
  }
  CliResult args = runUmlab({"limits", "limits.yaml"}, dir.path());
  CHECK(args.status == 2);
  CHECK(args.err == "umlab: error: limits takes no arguments; give the file with '--file PATH' and the user with "
                    "'--user NAME'\n");
}

TEST_CASE("class checks its arguments and its students file before it starts anything", "[cli][class]") {
  TempDir dir("umlab-cli-class");
  writeFile(dir.path() / "lab.yaml", "name: cls\nnodes: {pc1: {}}\n");
  writeFile(dir.path() / "students.txt", "# group A\nroot\nno-such-account-umlab\n");
  ::setenv("UMLAB_CLASS_DIR", (dir.path() / "classes").c_str(), 1);
  CliResult noStudents = runUmlab({"class", "up", "lab.yaml"}, dir.path());
  CHECK(noStudents.status == 2);
  CHECK(noStudents.err.find("class up needs --students FILE") != std::string::npos);
  CliResult bad = runUmlab({"class", "up", "lab.yaml", "--students", "students.txt"}, dir.path());
  CHECK(bad.status == 1);
  CHECK(bad.err.find("students.txt:2:1: error: 'root' is root") != std::string::npos);
  CHECK(bad.err.find("students.txt:3:1: error: there is no account 'no-such-account-umlab'") != std::string::npos);
  CHECK(bad.err.find("nothing was started") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "classes"));
  CliResult ps = runUmlab({"class", "ps"}, dir.path());
  CHECK(ps.status == 0);
  CHECK(ps.out == "no class is running\n");
  CliResult down = runUmlab({"class", "down", "nope"}, dir.path());
  CHECK(down.status == 1);
  CHECK(down.err.find("there is no class 'nope'") != std::string::npos);
  CliResult verb = runUmlab({"class", "start"}, dir.path());
  CHECK(verb.status == 2);
  CHECK(verb.err.find("unknown class command 'start'; it is up, ps, test or down") != std::string::npos);
  ::unsetenv("UMLAB_CLASS_DIR");
}
