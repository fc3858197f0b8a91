#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/slurm_engine.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace umlab;
using namespace umlab::lab::runtime;

namespace {

/// Slurm's commands as a fake: each command line (joined by spaces) answers with its lines; the
/// calls are recorded. A command not in `answers` fails.
class FakeSlurm final : public CommandRunner {
public:
  std::map<std::string, std::vector<std::string>> answers;
  std::vector<std::string> calls;

  CommandResult run(const Command& c, const std::function<void(std::string_view)>& onLine,
                    const std::function<void()>&) override {
    std::string line;
    for (const std::string& a : c.argv)
      line += (line.empty() ? "" : " ") + a;
    calls.push_back(line);
    CommandResult r;
    auto it = answers.find(line);
    if (it == answers.end()) {
      r.status.code = 1;
      r.lastLines = {"no such job"};
      return r;
    }
    r.status.code = 0;
    for (const std::string& l : it->second)
      if (onLine)
        onLine(l);
    return r;
  }
  bool hasProgram(const std::string&) override { return true; }
};

} // namespace

TEST_CASE("salloc's grant and scontrol's NodeAddr are read", "[slurm]") {
  CHECK(parseGrantedJob("salloc: Granted job allocation 42") == "42");
  CHECK(parseGrantedJob("salloc: Pending job allocation 42") == "");
  CHECK(parseNodeAddress({"NodeName=h1 Arch=x86_64 CoresPerSocket=1", "   NodeAddr=10.77.0.11 NodeHostName=h1 Version=22.05.8"}) ==
        "10.77.0.11");
  CHECK(parseNodeAddress({"NodeName=h1", "   OS=Linux"}) == "");
}

TEST_CASE("the Slurm engine allocates, names the hosts and their addresses, runs steps and releases", "[slurm]") {
  FakeSlurm slurm;
  slurm.answers["salloc --no-shell -N 2 -J umlab-lab -p lab"] = {"salloc: Granted job allocation 7"};
  slurm.answers["squeue -h -j 7 -o %N"] = {"h[1-2]"};
  slurm.answers["scontrol show hostnames h[1-2]"] = {"h1", "h2"};
  slurm.answers["scontrol show node h1"] = {"NodeName=h1 Arch=x86_64", "   NodeAddr=10.77.0.11 NodeHostName=h1"};
  slurm.answers["scontrol show node h2"] = {"NodeName=h2 Arch=x86_64", "   NodeAddr=127.0.0.1 NodeHostName=h2"};
  slurm.answers["scancel 7"] = {};
  SlurmEngine engine(slurm);
  std::vector<std::string> said;
  const Allocation a = engine.allocate({2, "lab", "umlab-lab"}, [&](std::string_view l) { said.emplace_back(l); });
  CHECK(a.id == "7");
  REQUIRE(a.hosts.size() == 2);
  CHECK(a.hosts[0].name == "h1");
  CHECK(a.hosts[0].address == "10.77.0.11");
  CHECK(a.hosts[1].address == "127.0.0.1");
  CHECK(said == std::vector<std::string>{"salloc: Granted job allocation 7"});
  CHECK(engine.commandOn(a, "h2", {"umlab-shard", "status", "/tmp/x", "lab"}) ==
        std::vector<std::string>{"srun", "--jobid=7", "--overlap", "-N1", "-n1", "-w", "h2", "--quiet", "umlab-shard",
                                 "status", "/tmp/x", "lab"});
  std::string why;
  CHECK(engine.release(a, why));
  CHECK(slurm.calls.back() == "scancel 7");
}

TEST_CASE("a failed allocation says what Slurm answered, and a half-made one is released", "[slurm]") {
  FakeSlurm slurm;
  SlurmEngine engine(slurm);
  SECTION("salloc refuses") {
    try {
      engine.allocate({3, "", "umlab-x"}, {});
      FAIL("no error");
    } catch (const RuntimeError& e) {
      CHECK(std::string(e.what()).find("'salloc --no-shell -N 3 -J umlab-x' failed") != std::string::npos);
      CHECK(std::string(e.what()).find("no such job") != std::string::npos);
    }
  }
  SECTION("fewer nodes than asked") {
    slurm.answers["salloc --no-shell -N 3 -J umlab-x"] = {"salloc: Granted job allocation 9"};
    slurm.answers["squeue -h -j 9 -o %N"] = {"h1"};
    slurm.answers["scontrol show hostnames h1"] = {"h1"};
    slurm.answers["scontrol show node h1"] = {"   NodeAddr=10.77.0.11"};
    slurm.answers["scancel 9"] = {};
    CHECK_THROWS_WITH(engine.allocate({3, "", "umlab-x"}, {}), "slurm: job 9 has 1 nodes, not 3");
    CHECK(slurm.calls.back() == "scancel 9");
  }
}
