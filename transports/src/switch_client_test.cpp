// SwitchClient against a fake switch played by the test: a listening stream socket served by a
// thread that takes one request and answers it (or hangs up on it), so that the request's bytes,
// the refusal and the frames can be checked without umlab-switchd (its own tests join the real
// switch with SwitchClient, in both roles). The thread only records; the checks run in the test.

#include "umlab/transports/switch_client.hpp"

#include "test_temp_dir.hpp"

#include "umlab/base/unix_socket.hpp"
#include "umlab/transports/daemon_protocol.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::transports;
using umlab::transports::testing::TempDir;

namespace {

using Frame = std::vector<uint8_t>;

/// Generous: the thread only waits for what the test is about to do.
constexpr int kWaitMs = 10000;

bool isReadable(int fd, int timeoutMs = kWaitMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeoutMs) == 1;
}

/// One control connection of a fake switch, served on a thread: it reads the request, then hangs
/// up (`isRefusing`) or binds a data socket and replies with its address, as a switch does.
class FakeSwitch {
public:
  FakeSwitch(const std::string& ctlPath, bool isRefusing)
      : listener_(listenUnixStream(ctlPath)), isRefusing_(isRefusing), thread_([this] { serve(); }) {}
  ~FakeSwitch() {
    if (thread_.joinable())
      thread_.join();
  }
  /// Waits for the handshake to be over (the client's `join` has returned or thrown by then).
  void finish() { thread_.join(); }

  RequestV3 request{};
  size_t requestSize = 0;
  UniqueFd control;
  UniqueFd data;

private:
  void serve() {
    if (!isReadable(listener_.get()))
      return;
    control.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!control)
      return;
    while (requestSize < kRequestSize && isReadable(control.get())) {
      const ssize_t n =
          ::recv(control.get(), reinterpret_cast<char*>(&request) + requestSize, kRequestSize - requestSize, 0);
      if (n <= 0)
        return;
      requestSize += size_t(n);
    }
    if (isRefusing_) {
      control.reset(); // what uml_switch does with a request type it does not know
      return;
    }
    UnixAddress a = UnixAddress::abstract("umlab-fake-switch." + std::to_string(::getpid()));
    a.length = kUnixAddressSize;
    data.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (::bind(data.get(), a.get(), a.length) != 0)
      return;
    (void)::send(control.get(), &a.address, kUnixAddressSize, MSG_NOSIGNAL);
  }

  UniqueFd listener_;
  bool isRefusing_;
  std::thread thread_;
};

/// A broadcast frame from a locally administered source, its payload `fill`.
Frame frame(uint8_t fill, size_t size = 60) {
  Frame f(size, fill);
  std::memset(f.data(), 0xff, 6);
  f[6] = 0x02;
  return f;
}

} // namespace

TEST_CASE("SwitchClient::join names the control path when no switch is there", "[transports][switch_client]") {
  TempDir dir{"umlab-switch-client"};
  const std::string ctl = dir.file("missing.ctl");
  for (SwitchClient::Role role : {SwitchClient::Role::Guest, SwitchClient::Role::Probe}) {
    try {
      SwitchClient::join(ctl, role);
      FAIL("join succeeded without a switch");
    } catch (const std::system_error& e) {
      CHECK(std::string(e.what()).rfind("connect to " + ctl + ": ", 0) == 0);
      CHECK(e.code().value() == ENOENT);
    }
  }
}

TEST_CASE("SwitchClient::join as a probe says the switch closed the connection when it refuses the type",
          "[transports][switch_client]") {
  TempDir dir{"umlab-switch-client"};
  const std::string ctl = dir.file("plain.ctl");
  FakeSwitch plain(ctl, /*isRefusing=*/true);
  std::string message;
  try {
    SwitchClient::join(ctl, SwitchClient::Role::Probe);
  } catch (const std::system_error& e) {
    message = e.what();
  }
  plain.finish();
  CHECK(message.rfind("handshake with " + ctl +
                          ": the switch closed the connection (is it an umlab-switchd? probes need one)",
                      0) == 0);
  REQUIRE(plain.requestSize == kRequestSize);
  CHECK(plain.request.type == kRequestProbe);
}

TEST_CASE("SwitchClient sends UML's request, then frames both ways, and notices the switch leaving",
          "[transports][switch_client]") {
  TempDir dir{"umlab-switch-client"};
  const std::string ctl = dir.file("fake.ctl");
  FakeSwitch sw(ctl, /*isRefusing=*/false);
  SwitchClient joined = SwitchClient::join(ctl, SwitchClient::Role::Guest);
  sw.finish();
  REQUIRE(sw.data);

  // The request as UML writes it: magic, version 3, type 0, an abstract data address whose 108
  // bytes are the client's name.
  REQUIRE(sw.requestSize == kRequestSize);
  CHECK(sw.request.magic == kRequestMagic);
  CHECK(sw.request.version == kRequestVersion);
  CHECK(sw.request.type == kRequestNewControl);
  CHECK(sw.request.sock.sun_family == AF_UNIX);
  CHECK(sw.request.sock.sun_path[0] == '\0');
  CHECK(std::memcmp(&sw.request.sock, &joined.address(), kUnixAddressSize) == 0);

  // Move-only: the moved-to client owns the sockets.
  SwitchClient client = std::move(joined);
  CHECK(joined.fd() < 0);
  CHECK(client.role() == SwitchClient::Role::Guest);

  std::array<uint8_t, 2048> buffer{};
  CHECK_FALSE(client.receive(buffer)); // nothing waits
  const Frame out = frame(0x11, 98);
  CHECK(client.send(out));
  REQUIRE(isReadable(sw.data.get()));
  sockaddr_un from{};
  socklen_t fromLength = sizeof(from);
  Frame got(2048);
  const ssize_t n = ::recvfrom(sw.data.get(), got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
  REQUIRE(n == ssize_t(out.size()));
  got.resize(size_t(n));
  CHECK(got == out);
  // The switch knows the client by its full 110-byte address.
  CHECK(fromLength == kUnixAddressSize);
  CHECK(std::memcmp(&from, &client.address(), kUnixAddressSize) == 0);

  const Frame in = frame(0x22, 1514);
  REQUIRE(::sendto(sw.data.get(), in.data(), in.size(), 0, reinterpret_cast<const sockaddr*>(&sw.request.sock),
                   kUnixAddressSize) == ssize_t(in.size()));
  REQUIRE(isReadable(client.fd()));
  const std::optional<size_t> size = client.receive(buffer);
  REQUIRE(size);
  CHECK(Frame(buffer.begin(), buffer.begin() + std::ptrdiff_t(*size)) == in);
  CHECK_FALSE(client.receive(buffer));

  CHECK_FALSE(client.isSwitchGone());
  sw.control.reset();
  REQUIRE(isReadable(client.controlFd()));
  CHECK(client.isSwitchGone());
  sw.data.reset();
  CHECK_THROWS_AS(client.send(out), std::system_error); // the switch's data socket is gone
}

TEST_CASE("two SwitchClients of one process get distinct data addresses", "[transports][switch_client]") {
  TempDir dir{"umlab-switch-client"};
  const std::string ctl1 = dir.file("one.ctl");
  const std::string ctl2 = dir.file("two.ctl");
  std::optional<SwitchClient> first;
  {
    FakeSwitch sw(ctl1, false);
    first.emplace(SwitchClient::join(ctl1, SwitchClient::Role::Probe));
  }
  FakeSwitch sw(ctl2, false);
  SwitchClient second = SwitchClient::join(ctl2, SwitchClient::Role::Probe);
  sw.finish();
  CHECK(sw.request.type == kRequestProbe);
  CHECK(std::memcmp(&first->address(), &second.address(), kUnixAddressSize) != 0);
}
