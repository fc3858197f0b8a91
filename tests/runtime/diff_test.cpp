// `umlab diff` on a real guest (docs/diff.md): a file created, one of the base changed, one
// removed, seen from the COW file while the node runs (flushed through its agent), once it is
// stopped, and after `umlab down --keep` (no plan left: the base comes from the COW header);
// `--content` shows the changed line. Times are printed on stderr (ctest -V shows them).
#include "runtime_lab.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

using namespace umlab::test;

namespace {

using Clock = std::chrono::steady_clock;

const char* kOne = R"(name: NAME
nodes:
  pc1: {}
segments:
  lan: {type: switch}
links:
  - {endpoints: [pc1:eth0, lan], ip: 10.9.0.1/24}
)";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& line) {
  return std::find(v.begin(), v.end(), line) != v.end();
}

/// `umlab diff` with its time on stderr.
ProcessResult timedDiff(const std::vector<std::string>& args, const char* what) {
  const auto t = Clock::now();
  ProcessResult r = run(args);
  std::fprintf(stderr, "umlab diff, %s: %.3f s\n", what, std::chrono::duration<double>(Clock::now() - t).count());
  return r;
}

} // namespace

TEST_CASE("umlab diff lists what a guest added, changed and removed, running, stopped and kept",
          "[runtime][guests][diff]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-diff", kOne);
  REQUIRE(run({"up", lab.file()}).status == 0);

  // A fresh guest: its boot's own writes are ignored by default, so nothing is listed.
  ProcessResult fresh = timedDiff({"diff", "rt-diff", "pc1"}, "fresh guest");
  REQUIRE(fresh.status == 0);
  CHECK(fresh.out == "");
  CHECK(fresh.err == "");

  REQUIRE(lab.exec("pc1", {"sh", "-c",
                           "echo made-by-the-student > /root/new.txt && echo '10.9.0.2 peer' >> /etc/hosts && "
                           "rm /etc/issue.net"})
              .status == 0);

  // Running: the guest is asked to flush first, so its latest writes are there.
  ProcessResult running = timedDiff({"diff", "rt-diff", "pc1"}, "running guest, 3 changes");
  REQUIRE(running.status == 0);
  const std::vector<std::string> seen = lines(running.out);
  CHECK(has(seen, "A /root/new.txt"));
  CHECK(has(seen, "M /etc/hosts (content)"));
  CHECK(has(seen, "D /etc/issue.net"));
  CHECK(seen.size() == 3);
  CHECK(running.out.find(" /usr/") == std::string::npos); // nothing under /usr was touched
  CHECK(running.out.find("warning") == std::string::npos);

  ProcessResult content = run({"diff", "rt-diff", "pc1", "--content", "/etc/hosts"});
  REQUIRE(content.status == 0);
  CHECK(content.out.find("--- a/etc/hosts\n+++ b/etc/hosts\n") == 0);
  CHECK(content.out.find("\n+10.9.0.2 peer\n") != std::string::npos);
  CHECK(run({"diff", "rt-diff", "pc1", "--content", "/usr/bin/ls"}).out == "/usr/bin/ls: unchanged\n");

  ProcessResult json = run({"diff", "rt-diff", "pc1", "--format", "json"});
  REQUIRE(json.status == 0);
  CHECK(json.out.find("\"added\": [\n    \"/root/new.txt\"\n  ]") != std::string::npos);
  CHECK(json.out.find("\"path\": \"/etc/hosts\",") != std::string::npos);
  CHECK(json.out.find("\"removed\": [\n    \"/etc/issue.net\"\n  ]") != std::string::npos);

  // Without the default ignores, the boot's own writes show (umlab-init's PATH wrapper).
  CHECK(run({"diff", "rt-diff", "pc1", "--no-default-ignores"}).out.find("A /etc/profile.d/umlab-compat.sh\n") !=
        std::string::npos);

  // Stopped: the same, read from the kept COW file.
  REQUIRE(run({"node", "rt-diff", "pc1", "stop"}).status == 0);
  ProcessResult stopped = timedDiff({"diff", "rt-diff", "pc1"}, "stopped node");
  CHECK(stopped.out == running.out);

  // Down with --keep: no plan any more, the base is found from the COW file's header.
  REQUIRE(run({"down", "--keep", "rt-diff"}).status == 0);
  ProcessResult kept = timedDiff({"diff", "rt-diff", "pc1"}, "lab down --keep");
  CHECK(kept.status == 0);
  CHECK(kept.out == running.out);
  ProcessResult noNode = run({"diff", "rt-diff", "pc9"});
  CHECK(noNode.status == 1);
  CHECK(noNode.err ==
        "umlab: error: lab 'rt-diff' (kept by 'umlab down --keep') has no disk of node 'pc9' (it has those of: pc1)\n");
  std::error_code ec;
  std::filesystem::remove_all(stateRoot() + "/rt-diff", ec); // what --keep kept
}

TEST_CASE("umlab diff reads a saved lab's disks from the data directory", "[runtime][guests][diff]") {
  REQUIRE_RUNTIME();
  umlab::TempDir data("umlab-rt-diff-data");
  ::setenv("UMLAB_DATA_DIR", data.path().c_str(), 1); // inherited by the umlab runs below
  Lab lab("rt-diff-saved", kOne);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(lab.exec("pc1", {"sh", "-c", "echo saved > /root/saved.txt"}).status == 0);
  REQUIRE(run({"save", "rt-diff-saved"}).status == 0);
  ProcessResult saved = timedDiff({"diff", "rt-diff-saved", "pc1"}, "saved lab");
  CHECK(saved.status == 0);
  CHECK(saved.out == "A /root/saved.txt\n");
  CHECK(run({"down", "--saved", "rt-diff-saved"}).status == 0);
  ::unsetenv("UMLAB_DATA_DIR");
}

TEST_CASE("umlab diff on a guest that changed many files", "[runtime][guests][diff]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-diff-many", kOne);
  REQUIRE(run({"up", lab.file()}).status == 0);
  // About 'installing' a package's worth of files: a copy of /usr/share (thousands of files),
  // and a line appended to every file of /usr/share/doc.
  const auto t = Clock::now();
  ProcessResult work = lab.exec(
      "pc1", {"sh", "-c",
              "cp -a /usr/share /opt/share && find /usr/share/doc -type f > /tmp/list && "
              "while read f; do echo changed >> \"$f\"; done < /tmp/list && wc -l < /tmp/list && find /opt/share | wc -l"});
  REQUIRE(work.status == 0);
  std::istringstream counts(work.out);
  size_t changedInGuest = 0, copied = 0;
  counts >> changedInGuest >> copied;
  REQUIRE(changedInGuest > 100);
  std::fprintf(stderr, "guest work: %.1f s, %zu files changed, %zu entries copied\n",
               std::chrono::duration<double>(Clock::now() - t).count(), changedInGuest, copied);
  ProcessResult many = timedDiff({"diff", "rt-diff-many", "pc1"}, "running guest, a copy of /usr/share and /usr/share/doc changed");
  REQUIRE(many.status == 0);
  const std::vector<std::string> seen = lines(many.out);
  CHECK(has(seen, "A /opt/share/"));
  size_t changed = 0;
  for (const std::string& l : seen)
    changed += l.starts_with("M /usr/share/doc/") && l.ends_with(" (content)") ? 1 : 0;
  CHECK(changed == changedInGuest);
  ProcessResult all = timedDiff({"diff", "rt-diff-many", "pc1", "--all"}, "the same with --all");
  REQUIRE(all.status == 0);
  std::fprintf(stderr, "--all lists %zu lines\n", lines(all.out).size());
  CHECK(lines(all.out).size() == changedInGuest + copied); // /opt/share/ and all below, and the changes
}

TEST_CASE("umlab test --students --diff carries each student's disk diff in the CSV and the report",
          "[runtime][guests][diff]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-diff-students", kOne,
          {{"lab.tests.yaml", "lab: lab.yaml\nchecks:\n  - name: pc1 has its address\n"
                              "    address: {node: pc1, iface: eth0, ip: 10.9.0.1/24}\n"},
           {"students/alice/pc1.startup", "echo alice > /root/answer.txt\n"},
           {"students/bob/pc1.startup", "rm /etc/motd\n"}});
  const std::string dir = lab.file().substr(0, lab.file().rfind('/'));
  ProcessResult r = run({"test", dir + "/lab.tests.yaml", "--students", dir + "/students", "--diff", "pc1", "-o",
                         dir + "/grades.csv"});
  CHECK(r.status == 0);
  std::ifstream csv(dir + "/grades.csv");
  std::stringstream text;
  text << csv.rdbuf();
  UNSCOPED_INFO("grades.csv:\n" << text.str());
  CHECK(text.str() == "student,pc1 has its address,passed,failed,diff\n"
                      "alice,pass,1,0,\"diff of pc1: 1 added, 0 changed, 0 removed\n  A /root/answer.txt\n\"\n"
                      "bob,pass,1,0,\"diff of pc1: 0 added, 0 changed, 1 removed\n  D /etc/motd\n\"\n");
  CHECK(r.err.find("diff of pc1: 1 added, 0 changed, 0 removed\n  A /root/answer.txt\n") != std::string::npos);
  // One run, JUnit: the diff is the suite's system-out (a fresh boot: nothing changed).
  ProcessResult junit = run({"test", dir + "/lab.tests.yaml", "--diff", "pc1", "--format", "junit"});
  CHECK(junit.status == 0);
  CHECK(junit.out.find("  <system-out>diff of pc1: 0 added, 0 changed, 0 removed\n</system-out>\n</testsuite>") !=
        std::string::npos);
  ProcessResult unknown = run({"test", dir + "/lab.tests.yaml", "--diff", "pc2"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err.ends_with(
      "umlab: error: --diff names node 'pc2', which lab 'rt-diff-students' does not have; did you mean 'pc1'?\n"));
}
