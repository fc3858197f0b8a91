/// Boots a real UML guest with umlab-init and umlab-agent and drives it through the agent.
///
/// UMLAB_TEST_ROOTFS names the guest's root, either
///   - a base image made by `umlab image build` (a regular file): the guest boots from a COW
///     file over it, so it is never written; or
///   - a Debian root tree (a directory, with iproute2, iptables, procps and util-linux's agetty):
///     the test copies it and adds what the image builder adds (the boot shim as
///     /sbin/umlab-boot, the UML modules under /lib/modules, iptables-legacy, root's password),
///     then makes a base image of the copy with mkfs.ext4 -d. This needs root.
/// The config disk holds a node.conf, a startup.sh, one file and this build's guest programs. UML starts in its own
/// process group with its console on a pipe (drained into console.log) and serial line 1 on one
/// end of a socketpair (`ssl1=fd:3`); the test speaks the agent protocol on the other end.
///
/// Without UMLAB_TEST_ROOTFS, linux.uml, mkfs.ext4 or setarch the test exits 77, which
/// CTest reports as skipped, after saying what is missing. UMLAB_KEEP_TEST_DIR=1 keeps the
/// temporary directory (images, console log) for a look afterwards.

#include "agent_client.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/kernel/boot_shim.hpp"
#include "umlab/kernel/node_config.hpp"
#include "umlab/kernel/uml_command_line.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
namespace agent = umlab::kernel::agent;
using umlab::UniqueFd;
using umlab::test::AgentClient;
using umlab::test::kCommandTimeout;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kHostname = "umlab-guest";
constexpr const char* kRootPassword = "root"; // the lab-only default the image builder sets
constexpr auto kBootTimeout = std::chrono::seconds(120);
constexpr size_t kBigOutputSize = 50u << 20;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void skip(const std::string& why) {
  std::printf("skipped: %s\n", why.c_str());
  std::fflush(stdout);
  std::exit(77);
}

std::string findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0)
      return dir + "/" + name;
  return {};
}

/// Runs a host command to completion with `input` on its stdin; its output goes to the test's own.
int runHost(const std::vector<std::string>& argv, const std::string& input = {}) {
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(readEnd.get(), 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  readEnd.reset();
  ssize_t written = input.empty() ? 0 : ::write(writeEnd.get(), input.data(), input.size());
  (void)written; // a short input fits the pipe; a command that does not read it fails on its own
  writeEnd.reset();
  int status = -1;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void writeFile(const fs::path& path, const std::string& text, mode_t mode) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "umlab-guest-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path = pattern;
  }
  ~TempDir() {
    if (std::getenv("UMLAB_KEEP_TEST_DIR"))
      std::printf("kept %s\n", path.c_str());
    else
      fs::remove_all(path);
  }
};

/// Pids of the processes in process group `pgid` (zombies included), from /proc.
std::vector<pid_t> processesInGroup(pid_t pgid) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const std::string stat = readFile(entry.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == pgid)
      pids.push_back(std::stoi(name));
  }
  return pids;
}

/// A running UML process group: the kernel process (our child) and every helper it forked.
/// The destructor SIGKILLs the group and reaps the child, whatever state the test left it in.
class UmlProcess {
public:
  UmlProcess(const std::vector<std::string>& argv, int agentFd, const fs::path& consoleLog) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    UniqueFd inRead(in[0]), outWrite(out[1]);
    consoleIn_.reset(in[1]);
    UniqueFd outRead(out[0]);
    std::vector<char*> args;
    for (const auto& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    startedAt_ = Clock::now();
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(inRead.get(), 0);
      ::dup2(outWrite.get(), 1);
      ::dup2(outWrite.get(), 2);
      if (agentFd == 3)
        ::fcntl(3, F_SETFD, 0);
      else
        ::dup2(agentFd, 3);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    // The console: everything UML prints, kept for assertions and written to console.log.
    drain_ = std::thread([this, fd = std::move(outRead), consoleLog]() {
      std::ofstream log(consoleLog, std::ios::binary);
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
        if (n <= 0)
          continue;
        log.write(buffer, n);
        log.flush();
        std::lock_guard lock(mutex_);
        console_.append(buffer, static_cast<size_t>(n));
      }
    });
  }
  ~UmlProcess() {
    ::kill(-pid_, SIGKILL);
    if (!isReaped_)
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    consoleIn_.reset();
    if (drain_.joinable())
      drain_.join();
  }
  UmlProcess(const UmlProcess&) = delete;
  UmlProcess& operator=(const UmlProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Types on the guest's main console (con0 is our pipe).
  void type(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::write(consoleIn_.get(), text.data(), text.size());
      if (n < 0 && errno == EINTR)
        continue;
      REQUIRE(n > 0);
      text.remove_prefix(static_cast<size_t>(n));
    }
  }
  /// Waits until the console shows `text` after offset `from`; the offset just past it, or npos.
  size_t waitConsole(std::string_view text, size_t from, std::chrono::seconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    do {
      const std::string seen = console();
      if (const size_t at = seen.find(text, from); at != std::string::npos)
        return at + text.size();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    return std::string::npos;
  }
  Clock::time_point startedAt() const { return startedAt_; }
  std::string console() const {
    std::lock_guard lock(mutex_);
    return console_;
  }
  /// Waits for the kernel process to exit; its wait status, or nullopt after `timeout`.
  std::optional<int> waitExit(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        isReaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

private:
  pid_t pid_ = -1;
  bool isReaped_ = false;
  Clock::time_point startedAt_;
  UniqueFd consoleIn_; ///< held open: EOF on con0 would hang up the guest's console
  mutable std::mutex mutex_;
  std::string console_;
  std::thread drain_;
};

/// What the image builder does to a root tree (image_builder.hpp), done to the test's copy.
void prepareRoot(const fs::path& root) {
  writeFile(root / "sbin/umlab-boot", umlab::kernel::kBootShim, 0755);
  const fs::path modules = "/usr/lib/uml/modules";
  std::error_code ec;
  for (const auto& version : fs::directory_iterator(modules, ec)) {
    fs::create_directories(root / "lib/modules");
    REQUIRE(runHost({"cp", "-a", version.path().string(), (root / "lib/modules").string()}) == 0);
    REQUIRE(runHost({"chroot", root.string(), "depmod", version.path().filename().string()}) == 0);
  }
  REQUIRE(runHost({"chroot", root.string(), "chpasswd"}, std::string("root:") + kRootPassword + "\n") == 0);
  // Debian's UML kernel has no nf_tables: select iptables-legacy, as the image builder does.
  for (const char* family : {"iptables", "ip6tables"})
    for (const char* suffix : {"", "-restore", "-save"}) {
      const fs::path link = root / "etc/alternatives" / (std::string(family) + suffix);
      const std::string legacy = std::string("/usr/sbin/") + family + "-legacy" + suffix;
      if (fs::is_symlink(link) && fs::exists(root / legacy.substr(1))) {
        fs::remove(link);
        fs::create_symlink(legacy, link);
      }
    }
}

void prepareConfigDisk(const fs::path& dir) {
  umlab::kernel::NodeConfig config;
  config.hostname = kHostname;
  config.forwarding = true;
  writeFile(dir / "node.conf", umlab::kernel::renderNodeConfig(config), 0644);
  writeFile(dir / "startup.sh",
            "echo startup says hello\n"
            "false\n"
            "X=carried\n"
            "if true; then\n"
            "  echo \"$X over\"\n"
            "fi\n",
            0644);
  writeFile(dir / "files/etc/umlab-test/greeting", "hello from files\n", 0640);
  ::chmod((dir / "files").c_str(), 0700); // must not become the mode of the guest's /
  fs::create_directories(dir / "bin");
  fs::copy_file(UMLAB_INIT_PATH, dir / "bin/umlab-init");
  fs::copy_file(UMLAB_AGENT_PATH, dir / "bin/umlab-agent");
  ::chmod((dir / "bin/umlab-init").c_str(), 0755);
  ::chmod((dir / "bin/umlab-agent").c_str(), 0755);
}

} // namespace

TEST_CASE("a real guest boots and serves its agent until it powers off", "[kernel][guest][uml]") {
  const char* rootfs = std::getenv("UMLAB_TEST_ROOTFS");
  if (!rootfs || !*rootfs)
    skip("UMLAB_TEST_ROOTFS is not set: point it at a base image from 'umlab image build' or at a "
         "Debian root tree (for example a debootstrap --variant=minbase bookworm tree with iproute2, "
         "iptables, procps and kmod)");
  const bool isImage = fs::is_regular_file(rootfs);
  if (!isImage && !fs::is_directory(rootfs))
    skip(std::string("UMLAB_TEST_ROOTFS='") + rootfs + "' is neither a base image nor a directory");
  if (!isImage && ::geteuid() != 0)
    skip("not root: copying a root tree with its owners and modes needs root");
  const std::string kernel = findProgram("linux.uml");
  if (kernel.empty())
    skip("linux.uml is not in PATH (Debian package user-mode-linux)");
  for (const char* tool : {"mkfs.ext4", "setarch", "cp", "chroot"})
    if (findProgram(tool).empty())
      skip(std::string(tool) + " is not in PATH");

  TempDir dir;
  INFO("test directory " << dir.path);
  fs::path base = fs::absolute(rootfs);
  if (!isImage) {
    const fs::path root = dir.path / "root";
    REQUIRE(runHost({"cp", "-a", "--reflink=auto", std::string(rootfs) + "/.", root.string()}) == 0);
    prepareRoot(root);
    base = dir.path / "base.img";
    REQUIRE(runHost({"mkfs.ext4", "-q", "-F", "-d", root.string(), base.string(), "1G"}) == 0);
    fs::remove_all(root);
  }
  prepareConfigDisk(dir.path / "config");
  REQUIRE(runHost({"mkfs.ext4", "-q", "-F", "-d", (dir.path / "config").string(),
                   (dir.path / "config.img").string(), "16M"}) == 0);

  umlab::kernel::GuestSpec spec;
  spec.kernel = kernel;
  spec.umid = "umlab-test-" + std::to_string(::getpid());
  spec.umlDir = (dir.path / "uml").string();
  spec.memoryBytes = 128ULL << 20;
  spec.cowPath = (dir.path / "guest.cow").string();
  spec.basePath = base.string();
  spec.configDisk = (dir.path / "config.img").string();
  std::vector<std::string> argv = {"setarch", "x86_64", "-R"};
  for (auto& arg : umlab::kernel::umlCommandLine(spec))
    argv.push_back(std::move(arg));
  fs::create_directories(spec.umlDir);
  if (!std::getenv("HOME"))
    ::setenv("HOME", dir.path.c_str(), 1); // UML needs it for its umid directory

  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd hostEnd(pair[0]), guestEnd(pair[1]);
  const fs::path consoleLog = dir.path / "console.log";
  UmlProcess uml(argv, guestEnd.get(), consoleLog);
  guestEnd.reset();
  AgentClient client(std::move(hostEnd));
  struct PrintConsole {
    const UmlProcess& uml;
    ~PrintConsole() { std::printf("---- guest console ----\n%s\n---- end of console ----\n", uml.console().c_str()); }
  } printConsole{uml};

  // Boot: the agent's HELLO is the readiness signal.
  std::optional<agent::Frame> hello;
  while ((hello = client.receive(uml.startedAt() + kBootTimeout)) && hello->type != agent::FrameType::Hello) {
  }
  REQUIRE(hello);
  const double bootSeconds = secondsSince(uml.startedAt());
  std::printf("boot to HELLO: %.2f s\n", bootSeconds);
  CHECK(hello->payload == kHostname);

  { // commands through the agent
    // PING 0 answers PONG and HELLO again.
    client.send(agent::FrameType::Ping, 0, "are you there");
    const auto deadline = Clock::now() + kCommandTimeout;
    auto pong = client.receive(deadline);
    REQUIRE(pong);
    CHECK(pong->type == agent::FrameType::Pong);
    CHECK(pong->payload == "are you there");
    auto again = client.receive(deadline);
    REQUIRE(again);
    CHECK(again->type == agent::FrameType::Hello);

    auto hostname = client.exec({"hostname"});
    REQUIRE(hostname.status);
    CHECK(hostname.out == std::string(kHostname) + "\n");

    auto mixed = client.exec({"sh", "-c", "echo out; echo err >&2; exit 7"});
    REQUIRE(mixed.status);
    CHECK(mixed.out == "out\n");
    CHECK(mixed.err == "err\n");
    CHECK(mixed.status->code == 7);
    CHECK(mixed.status->signal == 0);
    CHECK(mixed.status->startError == 0);

    auto missing = client.exec({"no-such-command-umlab"});
    REQUIRE(missing.status);
    CHECK(missing.status->startError == ENOENT);
    CHECK(missing.status->code == 127);
    CHECK(missing.out.empty());

    auto env = client.exec({"sh", "-c", "echo \"$PATH $HOME $TERM $GREETING [$1]\"; pwd", "sh", ""},
                           {"GREETING=hi there", "TERM=xterm"});
    REQUIRE(env.status);
    CHECK(env.out == "/run/umlab-compat/bin:/usr/sbin:/usr/bin:/sbin:/bin /root xterm hi there []\n/\n");

    // stdin: fed in two frames, closed by an empty one.
    const uint32_t cat = client.startExec({"cat"}, {}, true);
    client.send(agent::FrameType::Stdin, cat, "hello ");
    client.send(agent::FrameType::Stdin, cat, "agent\n");
    client.send(agent::FrameType::Stdin, cat, "");
    auto catted = client.wait(cat);
    REQUIRE(catted.status);
    CHECK(catted.out == "hello agent\n");
    CHECK(catted.status->code == 0);

    // Two requests at once; SIGNAL reaches the whole process group of the first.
    const uint32_t sleeper = client.startExec({"sh", "-c", "sleep 1000 & sleep 1000; echo not reached"});
    auto quick = client.exec({"echo", "meanwhile"});
    REQUIRE(quick.status);
    CHECK(quick.out == "meanwhile\n");
    client.send(agent::FrameType::Signal, sleeper, std::string(1, static_cast<char>(SIGKILL)));
    auto killed = client.wait(sleeper);
    REQUIRE(killed.status);
    CHECK(killed.status->signal == SIGKILL);
    CHECK(killed.status->code == 128 + SIGKILL);
    CHECK(killed.out.empty());

    // What init set up.
    auto forwarding = client.exec({"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"});
    CHECK(forwarding.out == "1\n1\n");
    auto files = client.exec({"sh", "-c", "stat -c '%a %U' /etc/umlab-test/greeting /; cat /etc/umlab-test/greeting"});
    CHECK(files.out == "640 root\n755 root\nhello from files\n");
    auto mounts = client.exec({"sh", "-c", "mountpoint -q /run/umlab && mountpoint -q /tmp && mountpoint -q /dev/pts && echo ok"});
    CHECK(mounts.out == "ok\n");
    auto getty = client.exec({"pgrep", "-x", "agetty"});
    CHECK(getty.status);
    CHECK(getty.status->code == 0);

    auto iptables = client.exec({"sh", "-c", "iptables -A INPUT -p tcp --dport 23 -j DROP && iptables -S"});
    REQUIRE(iptables.status);
    INFO("iptables stderr: " << iptables.err);
    CHECK(iptables.status->code == 0);
    CHECK(iptables.out.find("-A INPUT -p tcp -m tcp --dport 23 -j DROP") != std::string::npos);

    // 50 MB of output arrives complete and in order.
    const auto start = Clock::now();
    auto big = client.exec({"sh", "-c", "head -c " + std::to_string(kBigOutputSize) + " /dev/zero | tr '\\0' x"});
    const double bigSeconds = secondsSince(start);
    REQUIRE(big.status);
    CHECK(big.status->code == 0);
    CHECK(big.out.size() == kBigOutputSize);
    CHECK(big.out.find_first_not_of('x') == std::string::npos);
    std::printf("50 MB of output (head | tr): %.2f s (%.1f MB/s)\n", bigSeconds, kBigOutputSize / 1048576.0 / bigSeconds);
    // The same through dd with 64 KiB blocks: the channel's own speed, the producer costs little.
    const auto ddStart = Clock::now();
    auto zeros = client.exec({"dd", "if=/dev/zero", "bs=64k", "count=" + std::to_string(kBigOutputSize >> 16)});
    const double ddSeconds = secondsSince(ddStart);
    REQUIRE(zeros.status);
    CHECK(zeros.out.size() == kBigOutputSize);
    CHECK(zeros.out.find_first_not_of('\0') == std::string::npos);
    std::printf("50 MB of output (dd bs=64k): %.2f s (%.1f MB/s)\n", ddSeconds, kBigOutputSize / 1048576.0 / ddSeconds);
    auto numbered = client.exec({"seq", "1", "200000"});
    std::string expected;
    for (int i = 1; i <= 200000; ++i)
      expected += std::to_string(i) + "\n";
    CHECK(numbered.out == expected);
    CHECK(client.skippedBytes() == 0);

    // A getty on the console: log in as root and run a command there.
    size_t at = uml.waitConsole("login: ", 0, kCommandTimeout);
    REQUIRE(at != std::string::npos);
    uml.type("root\n");
    at = uml.waitConsole("Password: ", at, kCommandTimeout);
    REQUIRE(at != std::string::npos);
    uml.type(std::string(kRootPassword) + "\n");
    at = uml.waitConsole("# ", at, kCommandTimeout); // login flushes what is typed before the prompt
    REQUIRE(at != std::string::npos);
    uml.type("echo console-$((6 * 7)); exit\n");
    at = uml.waitConsole("console-42", at, kCommandTimeout);
    CHECK(at != std::string::npos);
    CHECK(uml.waitConsole("login: ", at, kCommandTimeout) != std::string::npos); // respawned

    // Orphans are reaped by init: no zombie is left behind.
    auto orphan = client.exec({"sh", "-c", "sh -c 'sleep 0.2 &' ; sleep 1; ps -e -o stat= | grep -c '^Z' || true"});
    CHECK(orphan.out == "0\n");
    auto halt = client.exec({"readlink", "/sbin/halt", "/sbin/poweroff", "/sbin/reboot"});
    CHECK(halt.out == "/run/umlab/bin/umlab-init\n/run/umlab/bin/umlab-init\n/run/umlab/bin/umlab-init\n");

    // The console showed boot progress and the startup commands' output and failures.
    const std::string console = uml.console();
    CHECK(console.find("umlab-init: hostname umlab-guest") != std::string::npos);
    CHECK(console.find("umlab-init: startup: startup says hello") != std::string::npos);
    CHECK(console.find("umlab-init: startup: command 2 failed with exit status 1") != std::string::npos);
    CHECK(console.find("umlab-init: startup: carried over") != std::string::npos);
    CHECK(console.find("umlab-init: startup: finished: 4 commands, 1 failed") != std::string::npos);
    CHECK(console.find("umlab-init: ready") != std::string::npos);
  }

  const size_t hostProcesses = processesInGroup(uml.pid()).size();
  std::printf("UML host processes in the group while running: %zu\n", hostProcesses);
  CHECK(hostProcesses > 1); // the kernel process and its helpers: what the check below must see go

  // Power off from inside: SIGTERM to init. UML exits and leaves no process behind.
  client.startExec({"kill", "-TERM", "1"});
  auto status = uml.waitExit(std::chrono::seconds(60));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  std::vector<pid_t> left;
  for (int i = 0; i < 100 && !(left = processesInGroup(uml.pid())).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(left.empty());
  CHECK(uml.console().find("umlab-init: powering off") != std::string::npos);
}

TEST_CASE("node.conf sysctls and a hostfs mount apply at boot and shutdown commands run at power-off", "[kernel][guest][uml]") {
  const char* rootfs = std::getenv("UMLAB_TEST_ROOTFS");
  if (!rootfs || !fs::is_regular_file(rootfs))
    skip("UMLAB_TEST_ROOTFS does not name a base image (this test boots images only)");
  const std::string kernel = findProgram("linux.uml");
  if (kernel.empty())
    skip("linux.uml is not in PATH (Debian package user-mode-linux)");
  for (const char* tool : {"mkfs.ext4", "setarch"})
    if (findProgram(tool).empty())
      skip(std::string(tool) + " is not in PATH");

  TempDir dir;
  INFO("test directory " << dir.path);
  const fs::path share = dir.path / "share";
  fs::create_directories(share);
  writeFile(share / "from-host.txt", "written on the host\n", 0644);
  writeFile(dir.path / "outside.txt", "above the shared directory\n", 0644);

  const fs::path config = dir.path / "config";
  umlab::kernel::NodeConfig node;
  node.hostname = kHostname;
  node.forwarding = true;
  node.sysctls = {{"net.ipv4.ip_forward", "0"}, // overrides `forwarding 1`
                  {"net.ipv4.ping_group_range", "0 2147483647"},
                  {"net.ipv4.conf.lo.rp_filter", "2"},
                  {"net.ipv4.no_such_knob", "1"},
                  {"net.ipv6.conf.all.forwarding", "0"}};
  node.mountPoint = "/hostshare";
  writeFile(config / "node.conf", umlab::kernel::renderNodeConfig(node), 0644);
  // Files are copied after the mount: this one lands on the host.
  writeFile(config / "files/hostshare/from-files.txt", "copied by init\n", 0644);
  writeFile(config / "startup.sh", "echo startup ran\n", 0644);
  writeFile(config / "shutdown.sh",
            "echo bye from shutdown\n"
            "echo \"$(hostname) was here\" > /hostshare/shutdown-ran\n"
            "sleep 60\n"
            "echo not reached\n",
            0644);
  fs::create_directories(config / "bin");
  fs::copy_file(UMLAB_INIT_PATH, config / "bin/umlab-init");
  fs::copy_file(UMLAB_AGENT_PATH, config / "bin/umlab-agent");
  ::chmod((config / "bin/umlab-init").c_str(), 0755);
  ::chmod((config / "bin/umlab-agent").c_str(), 0755);
  REQUIRE(runHost({"mkfs.ext4", "-q", "-F", "-d", config.string(), (dir.path / "config.img").string(), "16M"}) == 0);

  umlab::kernel::GuestSpec spec;
  spec.kernel = kernel;
  spec.umid = "umlab-test2-" + std::to_string(::getpid());
  spec.umlDir = (dir.path / "uml").string();
  spec.memoryBytes = 96ULL << 20;
  spec.cowPath = (dir.path / "guest.cow").string();
  spec.basePath = fs::absolute(rootfs).string();
  spec.configDisk = (dir.path / "config.img").string();
  spec.extraArgs = {"hostfs=" + share.string()};
  std::vector<std::string> argv = {"setarch", "x86_64", "-R"};
  for (auto& arg : umlab::kernel::umlCommandLine(spec))
    argv.push_back(std::move(arg));
  fs::create_directories(spec.umlDir);
  if (!std::getenv("HOME"))
    ::setenv("HOME", dir.path.c_str(), 1);

  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  UniqueFd hostEnd(pair[0]), guestEnd(pair[1]);
  UmlProcess uml(argv, guestEnd.get(), dir.path / "console.log");
  guestEnd.reset();
  AgentClient client(std::move(hostEnd));
  struct PrintConsole {
    const UmlProcess& uml;
    ~PrintConsole() { std::printf("---- guest console ----\n%s\n---- end of console ----\n", uml.console().c_str()); }
  } printConsole{uml};
  std::optional<agent::Frame> hello;
  while ((hello = client.receive(uml.startedAt() + kBootTimeout)) && hello->type != agent::FrameType::Hello) {
  }
  REQUIRE(hello);

  // sysctls: in order, after forwarding, values with spaces, an interface's own; a bad one is
  // reported and the rest still apply.
  auto sysctls = client.exec({"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/ping_group_range",
                              "/proc/sys/net/ipv4/conf/lo/rp_filter", "/proc/sys/net/ipv6/conf/all/forwarding"});
  CHECK(sysctls.out == "0\n0\t2147483647\n2\n0\n");
  const std::string console = uml.console();
  CHECK(console.find("umlab-init: sysctl net.ipv4.ping_group_range=0 2147483647") != std::string::npos);
  CHECK(console.find("umlab-init: error: sysctl net.ipv4.no_such_knob: No such file or directory") != std::string::npos);
  CHECK(console.find("umlab-init: hostfs on /hostshare") != std::string::npos);

  // hostfs: each side sees what the other writes.
  auto fromHost = client.exec({"cat", "/hostshare/from-host.txt"});
  CHECK(fromHost.out == "written on the host\n");
  CHECK(readFile(share / "from-files.txt") == "copied by init\n");
  auto write = client.exec({"sh", "-c", "echo written in the guest > /hostshare/from-guest.txt && mkdir /hostshare/d"});
  CHECK(write.status);
  CHECK(write.status->code == 0);
  CHECK(readFile(share / "from-guest.txt") == "written in the guest\n");
  CHECK(fs::is_directory(share / "d"));
  writeFile(share / "late.txt", "written while the guest runs\n", 0644);
  CHECK(client.exec({"cat", "/hostshare/late.txt"}).out == "written while the guest runs\n");
  // `..` in the guest's paths stays in the guest: the host directory's parent is not reachable.
  auto above = client.exec({"sh", "-c", "cat /hostshare/../outside.txt /hostshare/d/../../outside.txt 2>&1; ls /hostshare/.."});
  CHECK(above.out.find("above the shared directory") == std::string::npos);
  CHECK(above.out.find("hostshare") != std::string::npos); // /hostshare/.. is the guest's own /

  // Power off: the shutdown commands run first (output on the console), for at most 10 s.
  const auto stopAt = Clock::now();
  client.startExec({"kill", "-TERM", "1"});
  auto status = uml.waitExit(std::chrono::seconds(60));
  const double stopSeconds = secondsSince(stopAt);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  std::printf("power-off with a shutdown script that sleeps: %.1f s\n", stopSeconds);
  CHECK(stopSeconds >= 9.5);
  CHECK(stopSeconds < 25);
  const std::string after = uml.console();
  CHECK(after.find("umlab-init: shutdown: bye from shutdown") != std::string::npos);
  CHECK(after.find("umlab-init: shutdown: still running after 10 s; going on without it") != std::string::npos);
  CHECK(after.find("not reached") == std::string::npos);
  CHECK(after.find("umlab-init: powering off") < after.find("umlab-init: shutdown: bye from shutdown"));
  CHECK(readFile(share / "shutdown-ran") == std::string(kHostname) + " was here\n");
}
