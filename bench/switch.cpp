// bench_switch: frames/s, loss and round-trip latency through umlab-switchd, uml_switch
// (uml-utilities) and vde_switch (vde2) in the same run, driven the way UML guests drive them
// (issue 5, "Performance"). Run by hand (root is not needed; only local unix sockets are used):
//
//   build/bin/bench_switch [--seconds N] [--repeat N] [--pings N]
//
// Each fake port does what arch/um/drivers/daemon_user.c does: a control stream socket
// connected to the switch's control path, a 124-byte request_v3 (magic, version 3,
// REQ_NEW_CONTROL, then the sockaddr_un of its data socket), a data SOCK_DGRAM bound to an
// abstract name with addrlen 110, and a 110-byte reply naming the switch's data socket; then one
// Ethernet frame per datagram, sent with sendto(..., reply, 110) (never connect(): a connected
// pair of unix datagram sockets skips the kernel's receive-queue limit, which a guest does not).
//
// Throughput: every port first sends one broadcast frame so that the switch learns its MAC; then
// the senders (2 ports: 1 sender -> 1 receiver; 8 ports: 4 senders -> 4 receivers, in pairs)
// send unicast frames for --seconds, non-blocking and unpaced (EAGAIN: try the next sender, and
// yield when all of them are refused), from one thread, while one thread drains every receiver
// with poll + recvmmsg. fr/s is the frames the receivers got (from the right sender, with the
// right length) divided by the sending time; loss is 1 - delivered/accepted, where "accepted"
// counts the sendto calls that succeeded (refused sends, EAGAIN, are reported apart). A frame's
// size is the datagram's size (64 or 1500 bytes, Ethernet header included). Each figure is the
// median run (by fr/s) of --repeat runs, each with a freshly started switch: on a 2-CPU machine
// the sender, the receiver and the switch compete for the CPUs and single runs vary a lot.
//
// Latency: ping-pong of 64-byte frames between two ports from one thread (A sends to B, B's
// frame is read and sent back to A), median and 99th percentile of the round trips.
//
// Every switch runs as a child in its own process group in a private temporary directory and is
// terminated and reaped by ChildProcess's destructor whatever happens (SIGINT/SIGTERM stop the
// bench through the normal unwinding path).
#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr socklen_t kAddrSize = sizeof(sockaddr_un); // 110
constexpr size_t kRequestSize = 124;
constexpr uint16_t kEtherType = 0x88b5; // IEEE local experimental
constexpr int kRecvBatch = 64;
constexpr size_t kBufSize = 2048;

std::atomic<bool> gStop{false};

extern "C" void onSignal(int) { gStop.store(true); }

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void checkStop() {
  if (gStop.load())
    throw Interrupted();
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

using Mac = std::array<uint8_t, 6>;

Mac portMac(int index) { return {0x02, 0x00, 0x5e, 0xbe, 0x00, uint8_t(index + 1)}; }

/// One fake UML NIC on the daemon transport.
class Port {
public:
  Port(const std::string& ctlPath, int index) : mac_(portMac(index)) {
    ctl_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!ctl_)
      fail("control socket");
    sockaddr_un c{};
    c.sun_family = AF_UNIX;
    std::memcpy(c.sun_path, ctlPath.data(), std::min(ctlPath.size(), sizeof(c.sun_path) - 1));
    if (::connect(ctl_.get(), reinterpret_cast<sockaddr*>(&c), sizeof(c)) != 0)
      fail("connect " + ctlPath);

    data_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!data_)
      fail("data socket");
    // UML's name: NUL, 3 uninitialised bytes, pid, usec, 96 uninitialised bytes. Here the
    // "uninitialised" bytes are a pattern that differs per port and per run.
    static uint32_t serial = 0;
    const uint32_t id = ++serial;
    const int pid = int(::getpid());
    address_.sun_family = AF_UNIX;
    for (size_t i = 0; i < sizeof(address_.sun_path); ++i)
      address_.sun_path[i] = char(uint8_t(i * 37u + id * 101u + 0x5a));
    address_.sun_path[0] = '\0';
    std::memcpy(address_.sun_path + 4, &pid, 4);
    std::memcpy(address_.sun_path + 8, &id, 4);
    if (::bind(data_.get(), reinterpret_cast<sockaddr*>(&address_), kAddrSize) != 0)
      fail("bind data socket");
    // Receivers: as large a buffer as allowed (root may exceed rmem_max).
    const int size = 4 << 20;
    if (::setsockopt(data_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
      ::setsockopt(data_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (::setsockopt(data_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
      ::setsockopt(data_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

    std::array<uint8_t, kRequestSize> request{};
    request.fill(0xa5); // padding, uninitialised in UML
    const uint32_t magic = 0xfeedface, version = 3, type = 0;
    std::memcpy(request.data(), &magic, 4);
    std::memcpy(request.data() + 4, &version, 4);
    std::memcpy(request.data() + 8, &type, 4);
    std::memcpy(request.data() + 12, &address_, kAddrSize);
    if (::send(ctl_.get(), request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size()))
      fail("write request_v3");
    pollfd p{ctl_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1)
      throw std::runtime_error("no reply to request_v3 within 5 s");
    const ssize_t n = ::read(ctl_.get(), &switch_, sizeof(switch_));
    if (n != ssize_t(kAddrSize) || switch_.sun_family != AF_UNIX)
      throw std::runtime_error("bad reply to request_v3 (" + std::to_string(n) + " bytes)");
  }

  int fd() const { return data_.get(); }
  const Mac& mac() const { return mac_; }

  /// Non-blocking sendto of one frame to the switch; false on EAGAIN.
  bool send(const uint8_t* frame, size_t size) {
    for (;;) {
      const ssize_t n = ::sendto(data_.get(), frame, size, MSG_DONTWAIT,
                                 reinterpret_cast<const sockaddr*>(&switch_), kAddrSize);
      if (n == ssize_t(size))
        return true;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return false;
      if (n < 0 && errno == EINTR) {
        checkStop();
        continue;
      }
      fail("sendto switch");
    }
  }

  /// Discards whatever is queued.
  void drain() {
    uint8_t buf[kBufSize];
    while (::recv(data_.get(), buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
  }

private:
  Mac mac_;
  UniqueFd ctl_;
  UniqueFd data_;
  sockaddr_un address_{};
  sockaddr_un switch_{};
};

std::vector<uint8_t> makeFrame(const Mac& dst, const Mac& src, size_t size) {
  std::vector<uint8_t> f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  f.push_back(uint8_t(kEtherType >> 8));
  f.push_back(uint8_t(kEtherType & 0xff));
  while (f.size() < size)
    f.push_back(uint8_t(f.size()));
  return f;
}

bool isSocket(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_socket(path, ec);
}

struct SwitchKind {
  std::string name;    ///< as printed
  std::string program; ///< path or name looked up in PATH
};

/// A switch child process in its own group (ChildProcess), in a private temp dir.
class RunningSwitch {
public:
  RunningSwitch(const SwitchKind& kind, const std::string& program) : dir_("bench-switch") {
    Command c;
    if (kind.name == "umlab-switchd") {
      ctl_ = dir_.file("sw.ctl");
      admin_ = dir_.file("sw.admin");
      c.argv = {program, "--ctl", ctl_, "--admin", admin_};
    } else if (kind.name == "uml_switch") {
      ctl_ = dir_.file("uml.ctl");
      c.argv = {program, "-unix", ctl_};
    } else {
      // vde_switch runs its management console on stdin when not daemonised and exits on EOF:
      // keep a pipe open (nothing is ever written to it).
      ctl_ = dir_.file("vde/ctl");
      c.argv = {program, "-s", dir_.file("vde")};
      c.input.push_back('\n');
    }
    child_.emplace(ChildProcess::start(c));
    // The switch's stdout and stderr share one pipe, drained all the time: uml_switch prints a
    // line for every frame it fails to send, and a full pipe would stall it.
    UniqueFd out(::fcntl(child_->outputFd().get(), F_DUPFD_CLOEXEC, 0));
    if (!out)
      fail("dup output pipe");
    drainer_ = std::jthread([this, fd = std::move(out)] {
      char buf[4096];
      for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          return;
        std::lock_guard lock(mutex_);
        outputBytes_ += uint64_t(n);
        tail_.append(buf, size_t(n));
        if (tail_.size() > 4096)
          tail_.erase(0, tail_.size() - 2048);
      }
    });
    child_->outputFd().reset();
    const auto deadline = SteadyClock::now() + 10s;
    while (!isSocket(ctl_) || (!admin_.empty() && !isSocket(admin_))) {
      if (auto status = child_->tryWait()) {
        std::this_thread::sleep_for(100ms);
        throw std::runtime_error(kind.name + " " + status->describe() + ": " + outputTail());
      }
      if (SteadyClock::now() > deadline)
        throw std::runtime_error(kind.name + " did not create " + ctl_ + " within 10 s");
      checkStop();
      std::this_thread::sleep_for(5ms);
    }
  }
  ~RunningSwitch() {
    if (child_)
      child_->terminate(2000ms);
  }
  RunningSwitch(const RunningSwitch&) = delete;
  RunningSwitch& operator=(const RunningSwitch&) = delete;

  const std::string& ctl() const { return ctl_; }
  bool isAlive() { return child_ && !child_->tryWait(); }

  /// umlab-switchd only: the sum of every port's drop counters ("show ports" on the admin
  /// socket), by reason, e.g. "tx_full=123"; empty for the other switches or on failure.
  std::string switchDrops() {
    if (admin_.empty())
      return {};
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, admin_.data(), std::min(admin_.size(), sizeof(a.sun_path) - 1));
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
      return {};
    const std::string command = "show ports\n";
    if (::send(fd.get(), command.data(), command.size(), MSG_NOSIGNAL) != ssize_t(command.size()))
      return {};
    std::string reply;
    char buf[4096];
    while (reply.find("\n\n") == std::string::npos) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 2000) != 1)
        return {};
      const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n <= 0)
        return {};
      reply.append(buf, size_t(n));
    }
    std::vector<std::pair<std::string, uint64_t>> sums; // in the switch's order
    size_t pos = 0;
    while ((pos = reply.find(" drop_", pos)) != std::string::npos) {
      pos += 6;
      const size_t eq = reply.find('=', pos);
      if (eq == std::string::npos)
        break;
      const std::string reason = reply.substr(pos, eq - pos);
      const uint64_t value = std::strtoull(reply.c_str() + eq + 1, nullptr, 10);
      auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == reason; });
      if (it == sums.end())
        sums.emplace_back(reason, value);
      else
        it->second += value;
    }
    std::string out;
    for (const auto& [reason, value] : sums)
      if (value)
        out += (out.empty() ? "" : " ") + reason + "=" + std::to_string(value);
    return out.empty() ? "none" : out;
  }

  /// The last bytes the switch printed, and how many it printed in all.
  std::string outputTail() {
    std::lock_guard lock(mutex_);
    return tail_;
  }
  uint64_t outputBytes() {
    std::lock_guard lock(mutex_);
    return outputBytes_;
  }

private:
  TempDir dir_;
  std::string ctl_;
  std::string admin_; ///< umlab-switchd's admin socket
  std::mutex mutex_;
  std::string tail_;
  uint64_t outputBytes_ = 0;
  // Declared before child_, so destroyed after it: the child is terminated and reaped first,
  // which closes the pipe and ends the drainer.
  std::jthread drainer_;
  std::optional<ChildProcess> child_;
};

struct ThroughputResult {
  uint64_t accepted = 0;  ///< successful sendto
  uint64_t refused = 0;   ///< EAGAIN
  uint64_t delivered = 0; ///< right source, right size, at the right receiver
  uint64_t stray = 0;     ///< anything else a receiver got
  uint64_t switchOutputBytes = 0; ///< what the switch printed (uml_switch: a line per failed send)
  std::string switchDrops;        ///< umlab-switchd's own drop counters after the run
  double seconds = 0;
  double framesPerSecond() const { return seconds > 0 ? double(delivered) / seconds : 0; }
  double lossPercent() const {
    return accepted ? 100.0 * double(accepted - std::min(accepted, delivered)) / double(accepted) : 0;
  }
};

/// Joins `ports` ports and lets each send one broadcast frame so the switch learns its MAC.
std::vector<Port> joinAndLearn(RunningSwitch& sw, int ports) {
  std::vector<Port> p;
  p.reserve(size_t(ports));
  for (int i = 0; i < ports; ++i)
    p.emplace_back(sw.ctl(), i);
  const Mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  for (Port& port : p) {
    std::vector<uint8_t> f = makeFrame(broadcast, port.mac(), 64);
    while (!port.send(f.data(), f.size())) {
      checkStop();
      std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(2ms);
  }
  std::this_thread::sleep_for(100ms);
  for (Port& port : p)
    port.drain();
  return p;
}

/// `rate` 0: unpaced (every sender as fast as the switch takes it). Otherwise the senders
/// together offer `rate` frames/s, evenly spaced; a refused send (EAGAIN) is retried, not skipped,
/// so every frame is offered and loss counts what the switch accepted and did not deliver.
ThroughputResult runThroughput(RunningSwitch& sw, int ports, size_t frameSize, double seconds, double rate = 0) {
  std::vector<Port> p = joinAndLearn(sw, ports);
  const int pairs = ports / 2;
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < pairs; ++i)
    frames.push_back(makeFrame(p[size_t(pairs + i)].mac(), p[size_t(i)].mac(), frameSize));

  ThroughputResult r;
  std::atomic<bool> sending{true};
  std::atomic<uint64_t> delivered{0}, stray{0};

  std::thread receiver([&] {
    std::vector<pollfd> fds;
    for (int i = 0; i < pairs; ++i)
      fds.push_back({p[size_t(pairs + i)].fd(), POLLIN, 0});
    std::vector<std::array<uint8_t, kBufSize>> bufs(kRecvBatch);
    std::array<iovec, kRecvBatch> iov{};
    std::array<mmsghdr, kRecvBatch> msgs{};
    uint64_t good = 0, bad = 0;
    auto quietSince = SteadyClock::now();
    for (;;) {
      const int ready = ::poll(fds.data(), fds.size(), 20);
      if (ready > 0) {
        quietSince = SteadyClock::now();
        for (size_t k = 0; k < fds.size(); ++k) {
          if (!(fds[k].revents & POLLIN))
            continue;
          const Mac& expected = p[k].mac(); // sender k pairs with receiver pairs + k
          for (;;) {
            for (int m = 0; m < kRecvBatch; ++m) {
              iov[size_t(m)] = {bufs[size_t(m)].data(), kBufSize};
              msgs[size_t(m)] = {};
              msgs[size_t(m)].msg_hdr.msg_iov = &iov[size_t(m)];
              msgs[size_t(m)].msg_hdr.msg_iovlen = 1;
            }
            const int n = ::recvmmsg(fds[k].fd, msgs.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
            if (n <= 0)
              break;
            for (int m = 0; m < n; ++m) {
              const uint8_t* b = bufs[size_t(m)].data();
              if (msgs[size_t(m)].msg_len == frameSize && std::memcmp(b + 6, expected.data(), 6) == 0)
                ++good;
              else
                ++bad;
            }
            if (n < kRecvBatch)
              break;
          }
        }
      } else if (!sending.load() && SteadyClock::now() - quietSince > 300ms) {
        break;
      }
    }
    delivered.store(good);
    stray.store(bad);
  });

  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  try {
    uint64_t iterations = 0;
    if (rate > 0) {
      uint64_t offered = 0;
      int next = 0;
      for (;;) {
        const auto t = SteadyClock::now();
        if (t >= end || gStop.load())
          break;
        const auto due = uint64_t(std::chrono::duration<double>(t - start).count() * rate);
        if (offered >= due) {
          sched_yield();
          continue;
        }
        while (offered < due) {
          if (p[size_t(next)].send(frames[size_t(next)].data(), frameSize)) {
            ++r.accepted;
            ++offered;
            next = (next + 1) % pairs;
          } else {
            ++r.refused;
            sched_yield();
            if (SteadyClock::now() >= end)
              break;
          }
        }
      }
    }
    for (; rate == 0;) {
      if ((++iterations & 1023) == 0) {
        if (SteadyClock::now() >= end || gStop.load())
          break;
      }
      int refusedNow = 0;
      for (int i = 0; i < pairs; ++i) {
        if (p[size_t(i)].send(frames[size_t(i)].data(), frameSize)) {
          ++r.accepted;
        } else {
          ++r.refused;
          ++refusedNow;
        }
      }
      if (refusedNow == pairs)
        sched_yield();
    }
  } catch (...) {
    sending.store(false);
    receiver.join();
    throw;
  }
  r.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  sending.store(false);
  receiver.join();
  checkStop();
  r.delivered = delivered.load();
  r.stray = stray.load();
  r.switchDrops = sw.switchDrops(); // while the ports still exist
  return r;
}

struct LatencyResult {
  double p50 = 0, p99 = 0;
  uint64_t lost = 0;
  size_t samples = 0;
};

/// Waits for one frame on `fd` (up to 1 s); false on timeout.
bool receiveOne(int fd, uint8_t* buf) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, 1000);
    if (r < 0 && errno == EINTR) {
      checkStop();
      continue;
    }
    if (r != 1)
      return false;
    if (::recv(fd, buf, kBufSize, MSG_DONTWAIT) > 0)
      return true;
  }
}

LatencyResult runLatency(RunningSwitch& sw, int pings) {
  std::vector<Port> p = joinAndLearn(sw, 2);
  std::vector<uint8_t> ab = makeFrame(p[1].mac(), p[0].mac(), 64);
  std::vector<uint8_t> ba = makeFrame(p[0].mac(), p[1].mac(), 64);
  uint8_t buf[kBufSize];
  std::vector<double> rtt;
  rtt.reserve(size_t(pings));
  LatencyResult r;
  const int warmup = 200;
  for (int i = 0; i < warmup + pings; ++i) {
    checkStop();
    const auto t0 = SteadyClock::now();
    while (!p[0].send(ab.data(), ab.size()))
      sched_yield();
    if (!receiveOne(p[1].fd(), buf)) {
      ++r.lost;
      continue;
    }
    while (!p[1].send(ba.data(), ba.size()))
      sched_yield();
    if (!receiveOne(p[0].fd(), buf)) {
      ++r.lost;
      continue;
    }
    if (i >= warmup)
      rtt.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
  }
  r.samples = rtt.size();
  if (!rtt.empty()) {
    std::sort(rtt.begin(), rtt.end());
    r.p50 = rtt[rtt.size() / 2];
    r.p99 = rtt[std::min(rtt.size() - 1, size_t(double(rtt.size()) * 0.99))];
  }
  return r;
}

struct Row {
  std::string name;
  std::string note; ///< not empty: no figures (missing binary, failure)
  ThroughputResult t64x2, t1500x2, t64x8, t1500x8;
  ThroughputResult paced; ///< 64 B, 2 ports, offered at pacedRate
  double pacedRate = 0;
  LatencyResult lat;
  double worstLoss() const {
    return std::max({t64x2.lossPercent(), t1500x2.lossPercent(), t64x8.lossPercent(), t1500x8.lossPercent()});
  }
};

void printDetail(const char* label, const ThroughputResult& t) {
  std::printf("  %-12s accepted %10llu  refused(EAGAIN) %11llu  delivered %10llu  stray %llu  "
              "loss %6.2f%%  %9.0f fr/s  switch printed %llu bytes%s%s\n",
              label, (unsigned long long)t.accepted, (unsigned long long)t.refused,
              (unsigned long long)t.delivered, (unsigned long long)t.stray, t.lossPercent(),
              t.framesPerSecond(), (unsigned long long)t.switchOutputBytes,
              t.switchDrops.empty() ? "" : ", its drops: ", t.switchDrops.c_str());
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: bench_switch [--seconds N] [--repeat N] [--pings N] [--only NAMES] [--qlen N]\n"
               "                    [--paced F] [--switchd PATH]\n"
               "                    [--uml-switch PATH] [--vde-switch PATH]\n"
               "  Frames/s, loss and round-trip latency through umlab-switchd, uml_switch and\n"
               "  vde_switch, driven like UML daemon-transport guests.\n"
               "  --seconds N  sending time of each throughput run (default 2)\n"
               "  --repeat N   throughput runs per figure; the median is reported (default 3)\n"
               "  --pings N    round trips for the latency figures (default 10000)\n"
               "  --only NAMES  comma-separated switches to run (umlab-switchd,uml_switch,vde_switch)\n"
               "  --qlen N     run in a private network namespace with net.unix.max_dgram_qlen N\n"
               "               (root; umlab raises it in every lab namespace)\n"
               "  --paced F    the paced run offers F times the saturation rate (default 0.8)\n"
               "  --switchd, --uml-switch, --vde-switch PATH\n"
               "               the programs (default: this build's umlab-switchd, the others from\n"
               "               PATH); a missing program gets a 'not installed' row\n");
}

} // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  int pings = 10000;
  int repeat = 3;
  std::string switchdArg, umlSwitchArg = "uml_switch", vdeSwitchArg = "vde_switch";
  std::string only;
  int qlen = 0;
  double pacedFraction = 0.8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) {
      only = "," + std::string(argv[++i]) + ",";
      continue;
    }
    if (a == "--qlen" && i + 1 < argc) {
      qlen = std::atoi(argv[++i]);
      if (qlen < 1) {
        std::fprintf(stderr, "bench_switch: --qlen needs a positive number\n");
        return 2;
      }
      continue;
    }
    if (a == "--paced" && i + 1 < argc) {
      pacedFraction = std::strtod(argv[++i], nullptr);
      if (!(pacedFraction > 0 && pacedFraction <= 1)) {
        std::fprintf(stderr, "bench_switch: --paced needs a fraction in (0, 1]\n");
        return 2;
      }
      continue;
    }
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    }
    if ((a == "--switchd" || a == "--uml-switch" || a == "--vde-switch") && i + 1 < argc) {
      (a == "--switchd" ? switchdArg : a == "--uml-switch" ? umlSwitchArg : vdeSwitchArg) = argv[++i];
      continue;
    }
    if ((a == "--seconds" || a == "--pings" || a == "--repeat") && i + 1 < argc) {
      char* endp = nullptr;
      const double v = std::strtod(argv[++i], &endp);
      if (!endp || *endp || !(v > 0)) {
        std::fprintf(stderr, "bench_switch: bad value for %s: %s\n", a.c_str(), argv[i]);
        return 2;
      }
      if (a == "--seconds")
        seconds = v;
      else if (a == "--pings")
        pings = std::max(1, int(v));
      else
        repeat = std::max(1, int(v));
      continue;
    }
    usage(stderr);
    return 2;
  }

  struct sigaction sa{};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string switchd = switchdArg;
  if (switchd.empty()) {
    switchd = UMLAB_SWITCHD_PATH;
    if (!std::filesystem::exists(switchd))
      switchd = findExecutable("umlab-switchd").value_or("");
  }
  const std::vector<SwitchKind> kinds = {
      {"umlab-switchd", switchd}, {"uml_switch", umlSwitchArg}, {"vde_switch", vdeSwitchArg}};

  if (qlen > 0) {
    // A private network namespace (only unix sockets are used, so it needs no interfaces), whose
    // net.unix.max_dgram_qlen applies to every socket made in it, as umlab's lab namespaces do.
    if (::unshare(CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "bench_switch: --qlen needs a network namespace of its own: unshare: %s (run as root)\n",
                   std::strerror(errno));
      return 1;
    }
    FILE* f = std::fopen("/proc/sys/net/unix/max_dgram_qlen", "w");
    if (!f || std::fprintf(f, "%d\n", qlen) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "bench_switch: cannot set net.unix.max_dgram_qlen: %s\n", std::strerror(errno));
      return 1;
    }
  }
  std::printf("bench_switch: %.3g s per throughput run, median of %d runs, %d round trips; %u CPUs; "
              "net.unix.max_dgram_qlen ",
              seconds, repeat, pings, std::thread::hardware_concurrency());
  if (FILE* f = std::fopen("/proc/sys/net/unix/max_dgram_qlen", "r")) {
    int q = 0;
    if (std::fscanf(f, "%d", &q) == 1)
      std::printf("%d", q);
    std::fclose(f);
  }
  std::printf("\n");

  std::vector<Row> rows;
  int status = 0;
  for (const SwitchKind& kind : kinds) {
    if (!only.empty() && only.find("," + kind.name + ",") == std::string::npos)
      continue;
    Row row;
    row.name = kind.name;
    std::optional<std::string> program;
    if (!kind.program.empty())
      program = kind.program.find('/') != std::string::npos ? std::optional(kind.program)
                                                             : findExecutable(kind.program);
    if (!program || ::access(program->c_str(), X_OK) != 0) {
      row.note = "not installed";
      std::printf("%s: not installed, skipped\n", kind.name.c_str());
      std::fflush(stdout);
      rows.push_back(row);
      continue;
    }
    std::printf("%s (%s)\n", kind.name.c_str(), program->c_str());
    std::fflush(stdout);
    try {
      // A fresh switch per run, so that no run inherits another's ports or FDB.
      // Each figure is the median (by fr/s) of `repeat` runs, each with a fresh switch so
      // that no run inherits another's ports or FDB.
      auto run = [&](int ports, size_t size) {
        std::vector<ThroughputResult> runs;
        for (int k = 0; k < repeat; ++k) {
          RunningSwitch sw(kind, *program);
          ThroughputResult t = runThroughput(sw, ports, size, seconds);
          t.switchOutputBytes = sw.outputBytes();
          if (!sw.isAlive())
            throw std::runtime_error(kind.name + " died during the run");
          runs.push_back(t);
        }
        std::sort(runs.begin(), runs.end(), [](const ThroughputResult& a, const ThroughputResult& b) {
          return a.framesPerSecond() < b.framesPerSecond();
        });
        return runs[runs.size() / 2];
      };
      row.t64x2 = run(2, 64);
      printDetail("64B 2p", row.t64x2);
      {
        // No loss expected below saturation: offer a fraction of what this switch delivered.
        RunningSwitch sw(kind, *program);
        row.pacedRate = row.t64x2.framesPerSecond() * pacedFraction;
        row.paced = runThroughput(sw, 2, 64, seconds, row.pacedRate);
        char label[32];
        std::snprintf(label, sizeof label, "64B 2p @%.0f%%", pacedFraction * 100);
        printDetail(label, row.paced);
      }
      row.t1500x2 = run(2, 1500);
      printDetail("1500B 2p", row.t1500x2);
      row.t64x8 = run(8, 64);
      printDetail("64B 8p", row.t64x8);
      row.t1500x8 = run(8, 1500);
      printDetail("1500B 8p", row.t1500x8);
      RunningSwitch sw(kind, *program);
      row.lat = runLatency(sw, pings);
      std::printf("  rtt          %zu samples, %llu lost, p50 %.1f us, p99 %.1f us\n", row.lat.samples,
                  (unsigned long long)row.lat.lost, row.lat.p50, row.lat.p99);
    } catch (const Interrupted&) {
      std::fprintf(stderr, "bench_switch: interrupted\n");
      return 130;
    } catch (const std::exception& e) {
      row.note = std::string("failed: ") + e.what();
      std::printf("  %s\n", row.note.c_str());
      status = 1;
    }
    std::fflush(stdout);
    rows.push_back(row);
  }

  std::printf("\n%-28s %13s %15s %13s %15s %7s %11s %11s %14s\n", "switch", "64B 2p fr/s", "1500B 2p fr/s",
              "64B 8p fr/s", "1500B 8p fr/s", "loss%", "rtt p50 µs", "rtt p99 µs", "paced loss%");
  for (const Row& r : rows) {
    if (!r.note.empty()) {
      std::printf("%-28s %s\n", r.name.c_str(), r.note.c_str());
      continue;
    }
    std::printf("%-28s %13.0f %15.0f %13.0f %15.0f %7.2f %11.1f %11.1f %14.3f\n", r.name.c_str(),
                r.t64x2.framesPerSecond(), r.t1500x2.framesPerSecond(), r.t64x8.framesPerSecond(),
                r.t1500x8.framesPerSecond(), r.worstLoss(), r.lat.p50, r.lat.p99, r.paced.lossPercent());
  }
  const Row& ours = rows.front();
  if (ours.note.empty() && ours.name == "umlab-switchd") {
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    for (size_t i = 1; i < rows.size(); ++i) {
      const Row& r = rows[i];
      if (!r.note.empty())
        continue;
      const std::string label = "umlab-switchd / " + r.name;
      std::printf("%-28s %12.2fx %14.2fx %12.2fx %14.2fx %7s %10.2fx %10.2fx\n", label.c_str(),
                  ratio(ours.t64x2.framesPerSecond(), r.t64x2.framesPerSecond()),
                  ratio(ours.t1500x2.framesPerSecond(), r.t1500x2.framesPerSecond()),
                  ratio(ours.t64x8.framesPerSecond(), r.t64x8.framesPerSecond()),
                  ratio(ours.t1500x8.framesPerSecond(), r.t1500x8.framesPerSecond()), "",
                  ratio(ours.lat.p50, r.lat.p50), ratio(ours.lat.p99, r.lat.p99));
    }
  }
  std::printf("(fr/s: frames delivered per second of sending; loss%%: worst of the four (median) runs, "
              "of the frames the switch accepted; rtt ratio < 1 means umlab-switchd is faster;\n"
              " paced loss%%: 64 B, 2 ports, offered at %.0f%% of that switch's own 64B 2p fr/s)\n",
              pacedFraction * 100);
  return status;
}
