#include "umlab/base/process.hpp"
#include "umlab/base/process_runner.hpp"
#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

using namespace umlab;

namespace {

/// True while `pid` exists and is not a zombie.
bool isAlive(pid_t pid) { return processStartTime(pid) != 0; }

std::string readFd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    read.reset(p[0]);
    write.reset(p[1]);
  }
};

} // namespace

TEST_CASE("a spawned process gets exactly the descriptors it was given, in its own group", "[base][process]") {
  Pipe out;
  Pipe unrelated; // open in this process, not given to the child
  ProcessSpec spec;
  // sleep itself, not a shell, so that the child's own descriptors are few and known.
  spec.argv = {"/bin/sleep", "5"};
  spec.fds = {{1, out.write.get()}};
  const ProcessId p = spawnProcess(spec);
  out.write.reset();
  REQUIRE(p.isValid());
  CHECK(p.startTime != 0);
  // Wait until sleep sleeps: between its exec and its sleep it opens files of its own (its
  // locale), on the lowest free number, 0 (the stress run saw {0,1}). /proc/PID/syscall names the
  // system call it waits in: clock_nanosleep (230) or nanosleep (35) on x86-64.
  std::string call;
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in("/proc/" + std::to_string(p.pid) + "/syscall");
    if ((in >> call) && (call == "230" || call == "35"))
      break;
    ::usleep(10000);
  }
  INFO("/proc/PID/syscall of the child: " << call);
  std::ifstream comm("/proc/" + std::to_string(p.pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  CHECK(name == "sleep");
  // Its own process group: field 5 of /proc/PID/stat (after the parenthesised command name).
  std::ifstream statFile("/proc/" + std::to_string(p.pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state, ppid, pgid;
  fields >> state >> ppid >> pgid;
  CHECK(pgid == std::to_string(p.pid));
  std::vector<std::string> fds;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(p.pid) + "/fd"))
    fds.push_back(e.path().filename().string());
  CHECK(fds == std::vector<std::string>{"1"});
  const ProcessId groups[] = {p};
  stopProcessGroups(groups);
}

TEST_CASE("a program that cannot be run is an error naming it, with no child left", "[base][process]") {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/program"};
  CHECK_THROWS_WITH(spawnProcess(spec), Catch::Contains("cannot run '/nonexistent/program'"));
  spec.argv = {"/bin/true"};
  spec.workingDir = "/nonexistent-dir";
  CHECK_THROWS_WITH(spawnProcess(spec),
                    "cannot run '/bin/true': chdir /nonexistent-dir: No such file or directory");
  CHECK(::waitpid(-1, nullptr, WNOHANG) <= 0);
}

namespace {
/// A setup that fails as a jail step would, with texts prepared before the fork.
class FailingSetup final : public ChildSetup {
public:
  FailingSetup(std::string object, std::string note) : object_(std::move(object)), note_(std::move(note)) {}
  ChildFailure enterInChild() const noexcept override { return ChildFailure(ENOENT, "bind-mount", object_, note_); }

private:
  std::string object_, note_;
};
} // namespace

TEST_CASE("a failed child setup names the process, its step and the step's object", "[base][process]") {
  FailingSetup setup("/gone onto /jail/gone", "the path vanished");
  ProcessSpec spec;
  spec.argv = {"/bin/true"};
  spec.name = "guest pc1";
  spec.setup = &setup;
  try {
    spawnProcess(spec);
    FAIL("the start should fail");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
    CHECK(std::string(e.what()) ==
          "guest pc1: bind-mount /gone onto /jail/gone: No such file or directory (the path vanished)");
  }
  spec.name.clear(); // unnamed: the program is the subject
  CHECK_THROWS_WITH(spawnProcess(spec), "cannot run '/bin/true': bind-mount /gone onto /jail/gone: No such file or "
                                        "directory (the path vanished)");
  CHECK(::waitpid(-1, nullptr, WNOHANG) <= 0);
}

TEST_CASE("a child failure too long for its report is cut, not overrun", "[base][process]") {
  const ChildFailure f(EINVAL, std::string(500, 'o'), std::string(10000, 'x'), std::string(3000, 'n'));
  CHECK(f.error() == EINVAL);
  CHECK(f.operation().size() < 500);
  CHECK(f.object().size() < 10000);
  CHECK(f.object().find_first_not_of('x') == std::string_view::npos);
  CHECK(f.describe().find(": Invalid argument (nnn") != std::string::npos);
  CHECK(ChildFailure(EPERM, "").describe() == "Operation not permitted");
  CHECK_FALSE(ChildFailure().isFailure());
}

TEST_CASE("a process given a uid that cannot be taken names the uid", "[base][process]") {
  if (::geteuid() == 0) {
    WARN("not checked as root: root may take any uid");
    return;
  }
  ProcessSpec spec;
  spec.argv = {"/bin/true"};
  spec.user = std::make_pair(uid_t{0}, gid_t{0});
  CHECK_THROWS_WITH(spawnProcess(spec), Catch::Contains("change to uid 0 (gid 0): Operation not permitted"));
}

TEST_CASE("environment overrides replace inherited variables", "[base][process]") {
  Pipe out;
  ::setenv("UMLAB_PROCESS_TEST", "parent", 1);
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo $UMLAB_PROCESS_TEST $UMLAB_OTHER"};
  spec.env = {"UMLAB_PROCESS_TEST=child", "UMLAB_OTHER=x"};
  spec.fds = {{1, out.write.get()}};
  const ProcessId p = spawnProcess(spec);
  out.write.reset();
  CHECK(readFd(out.read.get()) == "child x\n");
  ::waitpid(p.pid, nullptr, 0);
  ::unsetenv("UMLAB_PROCESS_TEST");
}

TEST_CASE("stopping groups: one grace period for all, then SIGKILL, every leader reaped", "[base][process]") {
  ProcessSpec polite;
  polite.argv = {"/bin/sleep", "60"};
  ProcessSpec stubborn;
  stubborn.argv = {"/bin/sh", "-c", "trap '' TERM; sleep 60 & wait; sleep 60"};
  const ProcessId a = spawnProcess(polite);
  const ProcessId b = spawnProcess(stubborn);
  const ProcessId c = spawnProcess(polite);
  ::usleep(100000);
  const auto start = std::chrono::steady_clock::now();
  const ProcessId groups[] = {a, b, c};
  const std::vector<ExitStatus> st = stopProcessGroups(groups, {}, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(st[0].signal == SIGTERM);
  CHECK(st[1].signal == SIGKILL);
  CHECK(st[2].signal == SIGTERM);
  CHECK(took < std::chrono::seconds(5)); // not 3 x the grace, and not the sleeps
  for (const ProcessId& p : groups)
    CHECK_FALSE(isAlive(p.pid));
}

TEST_CASE("a leader reaped elsewhere still has its group killed", "[base][process]") {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 60 >/dev/null & echo $! ; exit 3"};
  Pipe out;
  spec.fds = {{1, out.write.get()}};
  const ProcessId p = spawnProcess(spec);
  out.write.reset();
  const pid_t helper = std::stoi(readFd(out.read.get()));
  int raw = 0;
  REQUIRE(::waitpid(p.pid, &raw, 0) == p.pid);
  CHECK(ExitStatus::fromWaitStatus(raw).code == 3);
  CHECK(isAlive(helper));
  const bool reaped[] = {true};
  stopProcessGroups(std::span<const ProcessId>(&p, 1), reaped);
  for (int i = 0; i < 100 && isAlive(helper); ++i)
    ::usleep(10000);
  CHECK_FALSE(isAlive(helper));
}

TEST_CASE("foreign groups are matched by start time: a recycled pid is never signalled", "[base][process]") {
  ProcessSpec spec;
  spec.argv = {"/bin/sleep", "60"};
  const ProcessId p = spawnProcess(spec);
  ProcessId wrong = p;
  wrong.startTime += 1;
  CHECK_FALSE(signalIfSame(wrong, SIGKILL));
  CHECK(isAlive(p.pid));
  const ProcessId groups[] = {wrong};
  CHECK(stopForeignProcessGroups(groups) == 0);
  CHECK(isAlive(p.pid));
  stopProcessGroups(std::span<const ProcessId>(&p, 1));
  CHECK_FALSE(isAlive(p.pid));
}

TEST_CASE("the fake runner records starts and stops and fails on request", "[base][process]") {
  FakeProcessRunner fake;
  ProcessSpec s;
  s.argv = {"x"};
  s.name = "switch lan";
  const ProcessId lan = fake.start(s);
  s.name = "guest pc1";
  fake.failStart("guest pc1");
  CHECK_THROWS_AS(fake.start(s), std::system_error);
  s.name = "guest pc2";
  fake.start(s);
  fake.exit("guest pc2", ExitStatus{0, 9});
  auto ended = fake.reapEnded();
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].second.signal == 9);
  fake.stop(std::span<const ProcessId>(&lan, 1), {});
  CHECK(fake.events() == std::vector<std::string>{"start switch lan", "fail guest pc1", "start guest pc2", "exit guest pc2",
                                                  "stop switch lan"});
  CHECK(fake.running().empty());
}
