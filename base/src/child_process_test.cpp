#include "umlab/base/child_process.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

using namespace umlab;

namespace {

std::vector<std::string> linesOf(const Command& c, CommandResult* result = nullptr) {
  std::vector<std::string> lines;
  CommandResult r = runCommand(c, CommandObserver{[&](std::string_view l) { lines.emplace_back(l); }, {}, -1});
  if (result)
    *result = r;
  return lines;
}

/// True while `pid` exists and is not a zombie.
bool isAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text))
    return false;
  size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

} // namespace

TEST_CASE("output of stdout and stderr arrives as lines, a carriage return ending a line too", "[base][child-process]") {
  CommandResult r;
  auto lines = linesOf({{"/bin/sh", "-c", "echo one; echo two >&2; printf 'a\\rb\\r\\nc'"}}, &r);
  CHECK(lines == std::vector<std::string>{"one", "two", "a", "b", "c"});
  CHECK(r.isSuccess());
  CHECK(r.lastLines == lines);
}

TEST_CASE("exit codes and signals are told apart", "[base][child-process]") {
  CommandResult r = runCommand({{"/bin/sh", "-c", "exit 3"}});
  CHECK(r.status.code == 3);
  CHECK_FALSE(r.isSuccess());
  CHECK(r.status.describe() == "exited with status 3");
  r = runCommand({{"/bin/sh", "-c", "kill -9 $$"}});
  CHECK(r.status.signal == SIGKILL);
  CHECK(r.status.describe().rfind("was killed by signal 9", 0) == 0);
}

TEST_CASE("input is written to the child's stdin and then closed", "[base][child-process]") {
  Command c{{"cat"}};
  c.input = "root:root\nsecond\n";
  CHECK(linesOf(c) == std::vector<std::string>{"root:root", "second"});
  // A child that never reads its input does not hurt the parent.
  Command ignores{{"/bin/true"}};
  ignores.input = std::string(1 << 20, 'x');
  CHECK(runCommand(ignores).isSuccess());
}

TEST_CASE("the working directory and environment overrides reach the child", "[base][child-process]") {
  Command c{{"/bin/sh", "-c", "pwd; echo \"$UMLAB_TEST_VAR\""}};
  c.workingDir = "/";
  c.env = {{"UMLAB_TEST_VAR", "set by test"}};
  CHECK(linesOf(c) == std::vector<std::string>{"/", "set by test"});
}

TEST_CASE("a missing program throws a system_error naming it", "[base][child-process]") {
  try {
    runCommand({{"umlab-no-such-program"}});
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).rfind("cannot run 'umlab-no-such-program'", 0) == 0);
    CHECK(e.code().value() == ENOENT);
  }
  CHECK_FALSE(findExecutable("umlab-no-such-program"));
  CHECK(findExecutable("sh").has_value());
}

TEST_CASE("destroying a running child kills its whole process group", "[base][child-process]") {
  pid_t grandchild = 0;
  {
    ChildProcess child = ChildProcess::start({{"/bin/sh", "-c", "sleep 60 & echo $!; wait"}});
    std::string text;
    char c;
    while (::read(child.outputFd().get(), &c, 1) == 1 && c != '\n')
      text += c;
    grandchild = static_cast<pid_t>(std::stol(text));
    REQUIRE(isAlive(grandchild));
    REQUIRE(child.isRunning());
  }
  for (int i = 0; i < 100 && isAlive(grandchild); ++i)
    usleep(10000);
  CHECK_FALSE(isAlive(grandchild));
}

TEST_CASE("a readable cancel fd stops the command", "[base][child-process]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);
  auto start = std::chrono::steady_clock::now();
  CommandResult r = runCommand({{"sleep", "30"}}, CommandObserver{{}, {}, p[0]});
  CHECK(r.isCancelled);
  CHECK(r.status.signal == SIGTERM);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  SystemCommandRunner runner(p[0]);
  CHECK(runner.isCancelled());
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("a program that exits while its own child holds the output is not waited for", "[base][child-process]") {
  int ticks = 0;
  auto start = std::chrono::steady_clock::now();
  CommandResult r = runCommand({{"/bin/sh", "-c", "sleep 4 & echo started"}},
                               CommandObserver{{}, [&] { ++ticks; }, -1});
  CHECK(r.isSuccess());
  CHECK(r.lastLines == std::vector<std::string>{"started"});
  CHECK(ticks >= 1);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("commands display as a shell would quote them", "[base][child-process]") {
  Command c{{"debugfs", "-R", "ls -l /sbin", "it's.img"}};
  CHECK(c.display() == "debugfs -R 'ls -l /sbin' 'it'\\''s.img'");
}
