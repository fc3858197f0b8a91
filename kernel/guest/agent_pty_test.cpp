/// umlab-agent run on the host on a pseudo-terminal: the protocol, concurrent requests,
/// back-pressure, stdin, signals and start errors, without UML and without root.

#include "agent_client.hpp"
#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace agent = umlab::kernel::agent;
using umlab::UniqueFd;
using umlab::test::AgentClient;
using Clock = std::chrono::steady_clock;

namespace {

/// The agent process on the slave side of a pty; killed and reaped on destruction.
class AgentOnPty {
public:
  AgentOnPty() {
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(master);
    REQUIRE(::grantpt(master.get()) == 0);
    REQUIRE(::unlockpt(master.get()) == 0);
    const std::string slave = ::ptsname(master.get());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::execl(UMLAB_AGENT_PATH, "umlab-agent", slave.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    client_.emplace(std::move(master));
  }
  ~AgentOnPty() {
    if (pid_ > 0 && !isReaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  AgentOnPty(const AgentOnPty&) = delete;
  AgentOnPty& operator=(const AgentOnPty&) = delete;

  AgentClient& client() { return *client_; }
  pid_t pid() const { return pid_; }
  void closeLine() { client_.reset(); }
  /// The agent's exit status within `timeout`, or nullopt.
  std::optional<int> waitExit(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        isReaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (Clock::now() < deadline);
    return std::nullopt;
  }

private:
  pid_t pid_ = -1;
  bool isReaped_ = false;
  std::optional<AgentClient> client_;
};

std::string hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

/// VmHWM (peak resident memory) of a process, in KiB.
long peakMemoryKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

std::optional<agent::Frame> waitHello(AgentClient& client) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::optional<agent::Frame> frame;
  while ((frame = client.receive(deadline)) && frame->type != agent::FrameType::Hello) {
  }
  return frame;
}

} // namespace

TEST_CASE("the agent greets, runs commands and reports how they ended", "[kernel][guest][agent]") {
  AgentOnPty agentProcess;
  AgentClient& client = agentProcess.client();
  auto hello = waitHello(client);
  REQUIRE(hello);
  CHECK(hello->payload == hostname());

  auto mixed = client.exec({"sh", "-c", "echo out; echo err >&2; exit 7"});
  REQUIRE(mixed.status);
  CHECK(mixed.out == "out\n");
  CHECK(mixed.err == "err\n");
  CHECK(mixed.status->code == 7);
  CHECK(mixed.status->signal == 0);

  auto binary = client.exec({"printf", "a\\r\\nb\\000\\377\\021\\023"});
  CHECK(binary.out == std::string("a\r\nb\0\377\021\023", 8)); // raw line: no CR/LF or XON/XOFF games

  auto missing = client.exec({"/no/such/program"});
  REQUIRE(missing.status);
  CHECK(missing.status->startError == ENOENT);
  CHECK(missing.status->code == 127);
  auto directory = client.exec({"/"});
  REQUIRE(directory.status);
  CHECK(directory.status->startError == EACCES);
  CHECK(directory.status->code == 126);

  auto env = client.exec({"sh", "-c", "echo \"$PATH|$HOME|$TERM|$EXTRA\"; pwd"}, {"EXTRA=x=y", "HOME=/tmp"});
  CHECK(env.out == "/run/umlab-compat/bin:/usr/sbin:/usr/bin:/sbin:/bin|/tmp|dumb|x=y\n/\n");

  client.send(agent::FrameType::Exec, 900, "not an exec request");
  auto malformed = client.wait(900);
  REQUIRE(malformed.status);
  CHECK(malformed.status->startError == EINVAL);

  // PING with an id answers PONG only; PING 0 answers PONG and HELLO.
  client.send(agent::FrameType::Ping, 5, "x");
  auto pong = client.receive(Clock::now() + std::chrono::seconds(10));
  REQUIRE(pong);
  CHECK(pong->type == agent::FrameType::Pong);
  CHECK(pong->id == 5);
  client.send(agent::FrameType::Ping, 0, "");
  pong = client.receive(Clock::now() + std::chrono::seconds(10));
  REQUIRE(pong);
  CHECK(pong->type == agent::FrameType::Pong);
  CHECK(waitHello(client));
  CHECK(client.skippedBytes() == 0);
}

TEST_CASE("the agent feeds stdin and signals process groups", "[kernel][guest][agent]") {
  AgentOnPty agentProcess;
  AgentClient& client = agentProcess.client();
  REQUIRE(waitHello(client));

  const uint32_t cat = client.startExec({"sh", "-c", "cat; echo done"}, {}, true);
  const std::string big(300000, 'i'); // more than a pipe holds: the agent must queue it
  for (size_t at = 0; at < big.size(); at += agent::kMaxPayload)
    client.send(agent::FrameType::Stdin, cat, big.substr(at, agent::kMaxPayload));
  client.send(agent::FrameType::Stdin, cat, "");
  auto catted = client.wait(cat);
  REQUIRE(catted.status);
  CHECK(catted.out == big + "done\n");

  // Without the stdin flag, stdin is /dev/null.
  auto noStdin = client.exec({"sh", "-c", "cat; echo eof"});
  CHECK(noStdin.out == "eof\n");

  // Three at once: the sleeper's whole group dies on SIGNAL, the others are untouched.
  const uint32_t sleeper = client.startExec({"sh", "-c", "sleep 30 & sleep 30; echo not reached"});
  const uint32_t second = client.startExec({"sh", "-c", "sleep 0.3; echo second"});
  auto first = client.exec({"echo", "first"});
  CHECK(first.out == "first\n");
  client.send(agent::FrameType::Signal, sleeper, std::string(1, static_cast<char>(SIGTERM)));
  auto killed = client.wait(sleeper, std::chrono::seconds(10));
  REQUIRE(killed.status);
  CHECK(killed.status->signal == SIGTERM);
  CHECK(killed.status->code == 128 + SIGTERM);
  auto secondResult = client.wait(second);
  REQUIRE(secondResult.status);
  CHECK(secondResult.out == "second\n");
}

TEST_CASE("the agent streams large output in order with bounded memory", "[kernel][guest][agent]") {
  AgentOnPty agentProcess;
  AgentClient& client = agentProcess.client();
  REQUIRE(waitHello(client));
  const size_t size = 50u << 20;
  const uint32_t id = client.startExec({"sh", "-c", "head -c " + std::to_string(size) + " /dev/zero | tr '\\0' x"});
  std::this_thread::sleep_for(std::chrono::seconds(1)); // a slow reader: the agent must hold back
  const long peakWhileBlocked = peakMemoryKiB(agentProcess.pid());
  auto big = client.wait(id);
  REQUIRE(big.status);
  CHECK(big.out.size() == size);
  CHECK(big.out.find_first_not_of('x') == std::string::npos);
  const long peak = peakMemoryKiB(agentProcess.pid());
  INFO("agent peak memory " << peakWhileBlocked << " KiB while blocked, " << peak << " KiB overall");
  CHECK(peak < 16 * 1024);

  auto numbered = client.exec({"seq", "1", "300000"});
  std::ostringstream expected;
  for (int i = 1; i <= 300000; ++i)
    expected << i << '\n';
  CHECK(numbered.out == expected.str());
}

TEST_CASE("the agent exits and hangs up its commands when the line closes", "[kernel][guest][agent]") {
  AgentOnPty agentProcess;
  AgentClient& client = agentProcess.client();
  REQUIRE(waitHello(client));
  // A command that would outlive the line if it were not hung up; it tells us its pid.
  client.startExec({"sh", "-c", "echo $$; exec sleep 30"});
  auto frame = client.receive(Clock::now() + std::chrono::seconds(10));
  REQUIRE(frame);
  REQUIRE(frame->type == agent::FrameType::Stdout);
  const pid_t sleeper = std::stoi(frame->payload);
  agentProcess.closeLine();
  auto status = agentProcess.waitExit(std::chrono::seconds(10));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  // Reparented and hung up: gone (or a zombie waiting for whoever adopted it) within seconds.
  auto isAlive = [sleeper] {
    std::ifstream in("/proc/" + std::to_string(sleeper) + "/stat");
    std::string text;
    std::getline(in, text);
    const size_t close = text.rfind(')');
    return close != std::string::npos && text.size() > close + 2 && text[close + 2] != 'Z';
  };
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (isAlive() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(isAlive());
}
