#pragma once
// Helpers of the umlab-switchd integration tests: the real binary as a child process, fake UML
// guests that join it exactly as arch/um/drivers/daemon_user.c does (control stream socket, a
// 124-byte request_v3, a data datagram socket bound to an abstract address with addrlen 110, a
// 110-byte reply), an admin client, and frame builders. Shared by switchd_integration_test.cpp and
// switchd_features_test.cpp; UMLAB_SWITCHD_PATH comes from CMakeLists.txt.

#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <system_error>
#include <thread>
#include <cerrno>
#include <unistd.h>
#include <vector>

namespace umlab::switchd_test {

using namespace std::chrono_literals;

using Frame = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr socklen_t kAddrSize = sizeof(sockaddr_un);

inline bool isSocket(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_socket(path, ec);
}

inline sockaddr_un pathAddress(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), std::min(path.size(), sizeof(a.sun_path) - 1));
  return a;
}

/// The running switch; SIGTERMed and reaped by ChildProcess's destructor at the latest. Its
/// sockets live in its own temporary directory unless `ctlPath` names the control socket.
/// `wrapper` runs it (`ip netns exec NS`, a program that passes it a socket), and must exec it.
struct SwitchProcess {
  TempDir dir{"umlab-switchd"};
  std::string ctl;
  std::string admin = dir.file("sw.admin");
  std::optional<ChildProcess> child;

  explicit SwitchProcess(std::vector<std::string> extra = {}, const std::string& ctlPath = {},
                         std::vector<std::string> wrapper = {})
      : ctl(ctlPath.empty() ? dir.file("sw.ctl") : ctlPath) {
    Command c;
    c.argv = std::move(wrapper);
    c.argv.insert(c.argv.end(), {UMLAB_SWITCHD_PATH, "--ctl", ctl, "--admin", admin});
    c.argv.insert(c.argv.end(), extra.begin(), extra.end());
    child.emplace(ChildProcess::start(c));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!(isSocket(ctl) && isSocket(admin))) {
      if (child->tryWait() || std::chrono::steady_clock::now() > deadline)
        FAIL("umlab-switchd did not come up");
      std::this_thread::sleep_for(5ms);
    }
  }
  bool isRunning() { return child->isRunning() && !child->tryWait(); }
};

/// A fake UML guest NIC on the daemon transport.
class UmlClient {
public:
  /// Connects and sends `request` (a well-formed request_v3 unless a test passes its own).
  explicit UmlClient(const std::string& ctlPath) {
    ctl_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a = pathAddress(ctlPath);
    REQUIRE(::connect(ctl_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    data_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    // The name UML binds: NUL, 3 uninitialised bytes, pid, usec, then 96 uninitialised bytes.
    // Garbage in the "uninitialised" bytes checks that the switch copies the name verbatim.
    static std::mt19937 random(std::random_device{}());
    address_.sun_family = AF_UNIX;
    for (char& c : address_.sun_path)
      c = char(random());
    address_.sun_path[0] = '\0';
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    const int pid = int(::getpid());
    const int usec = int(tv.tv_usec);
    std::memcpy(address_.sun_path + 4, &pid, 4);
    std::memcpy(address_.sun_path + 8, &usec, 4);
    REQUIRE(::bind(data_.get(), reinterpret_cast<sockaddr*>(&address_), kAddrSize) == 0);
  }

  /// The request_v3 as UML writes it: 124 bytes, native order, padding included.
  std::vector<uint8_t> request(uint32_t magic = 0xfeedface, uint32_t version = 3, uint32_t type = 0,
                               const sockaddr_un* dataAddress = nullptr) const {
    std::vector<uint8_t> r(124, 0x5a);
    std::memcpy(r.data(), &magic, 4);
    std::memcpy(r.data() + 4, &version, 4);
    std::memcpy(r.data() + 8, &type, 4);
    std::memcpy(r.data() + 12, dataAddress ? dataAddress : &address_, kAddrSize);
    return r;
  }

  bool writeControl(const std::vector<uint8_t>& bytes) {
    return ::write(ctl_.get(), bytes.data(), bytes.size()) == ssize_t(bytes.size());
  }

  /// Sends the request and reads the 110-byte reply, as daemon_user.c's connect_to_switch does.
  /// `type` 0 is what UML sends; umlab's probe type makes the client a probe.
  bool join(const std::vector<uint8_t>& extra = {}, uint32_t type = 0) {
    std::vector<uint8_t> r = request(0xfeedface, 3, type);
    r.resize(r.size() + extra.size());
    std::copy(extra.begin(), extra.end(), r.end() - std::ptrdiff_t(extra.size()));
    if (!writeControl(r))
      return false;
    pollfd p{ctl_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1)
      return false;
    ssize_t n = ::read(ctl_.get(), &switchAddress_, sizeof(switchAddress_));
    return n == ssize_t(kAddrSize) && switchAddress_.sun_family == AF_UNIX;
  }

  /// True when the switch closed the control connection (within a second).
  bool isControlClosed() {
    pollfd p{ctl_.get(), POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1)
      return false;
    char c;
    return ::read(ctl_.get(), &c, 1) <= 0;
  }

  void send(const Frame& f) {
    REQUIRE(::sendto(data_.get(), f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&switchAddress_),
                     kAddrSize) == ssize_t(f.size()));
  }

  /// The next frame, or nullopt after `timeout`.
  std::optional<Frame> receive(std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{data_.get(), POLLIN, 0};
    if (::poll(&p, 1, int(timeout.count())) != 1)
      return std::nullopt;
    Frame f(2048);
    ssize_t n = ::recv(data_.get(), f.data(), f.size(), 0);
    if (n < 0)
      return std::nullopt;
    f.resize(size_t(n));
    return f;
  }

  /// How `show ports` names this client: '@' and bytes 1..11 of the name in hex.
  std::string addressText() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s = "@";
    for (int i = 1; i < 12; ++i) {
      auto b = uint8_t(address_.sun_path[i]);
      s += kHex[b >> 4];
      s += kHex[b & 15];
    }
    return s;
  }

  const sockaddr_un& switchAddress() const { return switchAddress_; }
  const sockaddr_un& address() const { return address_; }
  void closeControl() { ctl_.reset(); }

private:
  UniqueFd ctl_;
  UniqueFd data_;
  sockaddr_un address_{};
  sockaddr_un switchAddress_{};
};

/// One admin connection: a command line in, the reply up to its terminating empty line out.
class AdminClient {
public:
  explicit AdminClient(const std::string& path) {
    // The switch's socket files appear only once it listens (bindListening in base): the file
    // existing is the readiness signal SwitchProcess waits for, so one connect is enough.
    sockaddr_un a = pathAddress(path);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int rc = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
    REQUIRE(rc == 0);
  }
  std::string command(const std::string& line) {
    std::string text = line + "\n";
    REQUIRE(::write(fd_.get(), text.data(), text.size()) == ssize_t(text.size()));
    for (;;) {
      if (size_t end = buffer_.find("\n\n"); end != std::string::npos) {
        std::string reply = buffer_.substr(0, end + 1);
        buffer_.erase(0, end + 2);
        return reply;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      REQUIRE(::poll(&p, 1, 5000) == 1);
      char chunk[4096];
      ssize_t n = ::read(fd_.get(), chunk, sizeof(chunk));
      REQUIRE(n > 0);
      buffer_.append(chunk, size_t(n));
    }
  }

private:
  UniqueFd fd_;
  std::string buffer_;
};

inline Frame frame(Mac dst, Mac src, uint8_t fill = 0xab, size_t size = 60) {
  Frame f(std::max<size_t>(size, 14), fill);
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

inline Mac host(uint8_t n) { return {0x02, 0, 0, 0, 0, n}; }

/// The value of ` key=` on the line of `text` that holds `marker` (a client's address in
/// `show ports`); all ones when there is none.
inline uint64_t counter(const std::string& text, const std::string& marker, const std::string& key) {
  const size_t line = text.find(marker);
  if (line == std::string::npos)
    return uint64_t(-1);
  const std::string l = text.substr(line, text.find('\n', line) - line);
  const size_t k = l.find(" " + key + "=");
  if (k == std::string::npos)
    return uint64_t(-1);
  return std::strtoull(l.c_str() + k + key.size() + 2, nullptr, 10);
}

/// The value of `key` in `show stats`; all ones when there is none.
inline uint64_t stat(AdminClient& admin, const std::string& key) {
  const std::string text = "\n" + admin.command("show stats");
  const size_t k = text.find("\n" + key + "=");
  if (k == std::string::npos)
    return uint64_t(-1);
  return std::strtoull(text.c_str() + k + key.size() + 2, nullptr, 10);
}

/// Waits until `path` accepts a connection.
inline bool waitForListener(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a = pathAddress(path);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0)
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

} // namespace umlab::switchd_test
