#include "umlab/lab/runtime/process_info.hpp"

#include <catch2/catch.hpp>
#include <ctime>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace umlab::lab::runtime;

namespace {
bool contains(const std::vector<pid_t>& v, pid_t p) { return std::find(v.begin(), v.end(), p) != v.end(); }
} // namespace

TEST_CASE("processTreeOf finds a child and a grandchild, and nothing of a process that is gone", "[process-info]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child starts a grandchild, tells its pid, and both wait to be killed.
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::pause();
      ::_exit(0);
    }
    (void)!::write(fds[1], &grandchild, sizeof grandchild);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t grandchild = 0;
  REQUIRE(::read(fds[0], &grandchild, sizeof grandchild) == sizeof grandchild);
  ::close(fds[0]);

  const std::vector<pid_t> tree = processTreeOf(child);
  CHECK(tree.front() == child);
  CHECK(contains(tree, grandchild));
  CHECK(tree.size() == 2);
  const std::vector<pid_t> mine = processTreeOf(::getpid());
  CHECK(contains(mine, child));
  CHECK(contains(mine, grandchild));

  CHECK(proportionalSetSizeKiB(tree) > 0);

  ::kill(grandchild, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(processTreeOf(child).empty());
}

namespace {
/// Spins until this process has used `seconds` of CPU (its own clock, not the wall's: on a
/// loaded machine the wall runs ahead of the CPU a process gets).
void spinCpu(double seconds) {
  const auto used = [] {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
  };
  const double until = used() + seconds;
  volatile unsigned long spin = 0;
  while (used() < until)
    spin = spin + 1;
}
} // namespace

TEST_CASE("cpuSeconds counts the CPU a process has used", "[process-info]") {
  const double before = cpuSeconds({::getpid()});
  spinCpu(0.3);
  const double after = cpuSeconds({::getpid()});
  CHECK(after - before >= 0.1);
  CHECK(cpuSeconds({}) == 0);
}

TEST_CASE("cpuSeconds with reaped children counts a child that has ended", "[process-info]") {
  const double before = cpuSeconds({::getpid()}, Reaped::Included);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    spinCpu(0.3);
    ::_exit(0);
  }
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  CHECK(cpuSeconds({::getpid()}, Reaped::Included) - before >= 0.1);
  CHECK(cpuSeconds({::getpid()}, Reaped::Excluded) < cpuSeconds({::getpid()}, Reaped::Included));
}
