#include "umlab/kernel/mconsole.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>

using namespace umlab;
using namespace umlab::kernel;

namespace {

/// A fake guest mconsole: answers one request with `chunks` (err on the first), and records
/// the request it got.
struct FakeGuest {
  TempDir dir{"umlab-mconsole"};
  std::string path = dir.file("mconsole");
  UniqueFd fd;
  std::string request;

  FakeGuest() {
    fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }

  void answer(uint32_t err, const std::vector<std::string>& chunks) {
    char buf[1024];
    sockaddr_un from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    REQUIRE(n >= 12);
    request.assign(buf, size_t(n));
    for (size_t i = 0; i < chunks.size(); ++i) {
      std::string d(12, '\0');
      const uint32_t fields[3] = {i == 0 ? err : 0, i + 1 < chunks.size() ? 1u : 0u, uint32_t(chunks[i].size() + 1)};
      std::memcpy(d.data(), fields, sizeof fields);
      d += chunks[i];
      d += '\0';
      REQUIRE(::sendto(fd.get(), d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&from), len) == ssize_t(d.size()));
    }
  }
};

} // namespace

TEST_CASE("mconsole requests are magic, version 2, length and text, and replies join their chunks", "[kernel][mconsole]") {
  FakeGuest guest;
  std::thread t([&] { guest.answer(0, {"first part ", "second part"}); });
  MconsoleReply r = mconsoleCommand(guest.path, "config eth1=daemon,02:00:00:00:00:01,unix,/x.ctl");
  t.join();
  CHECK(r.reached);
  CHECK(r.ok);
  CHECK(r.text == "first part second part");
  REQUIRE(guest.request.size() == 12 + 48);
  uint32_t fields[3];
  std::memcpy(fields, guest.request.data(), sizeof fields);
  CHECK(fields[0] == 0xcafebabe);
  CHECK(fields[1] == 2);
  CHECK(fields[2] == 48);
  CHECK(guest.request.substr(12) == "config eth1=daemon,02:00:00:00:00:01,unix,/x.ctl");
}

TEST_CASE("the mconsole reply can come to a path, which is removed afterwards", "[kernel][mconsole]") {
  FakeGuest guest;
  std::thread t([&] { guest.answer(0, {"OK"}); });
  MconsoleReply r = mconsoleCommand(guest.path, "version", guest.dir.path());
  t.join();
  CHECK(r.ok);
  CHECK(r.text == "OK");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(guest.dir.path()))
    ++entries;
  CHECK(entries == 1); // only the fake guest's own socket
}

TEST_CASE("mconsole errors, silence and bad commands are reported, not thrown", "[kernel][mconsole]") {
  FakeGuest guest;
  std::thread t([&] { guest.answer(uint32_t(-16), {"Device is currently open"}); });
  MconsoleReply busy = mconsoleCommand(guest.path, "remove eth1");
  t.join();
  CHECK(busy.reached);
  CHECK_FALSE(busy.ok);
  CHECK(busy.error == -16);
  CHECK(busy.text == "Device is currently open");

  MconsoleReply silent = mconsoleCommand(guest.path, "version", {}, std::chrono::milliseconds(100));
  CHECK_FALSE(silent.reached);
  CHECK(silent.text.find("no answer") != std::string::npos);
  CHECK_FALSE(mconsoleCommand(guest.path + ".missing", "version").reached);
  CHECK_FALSE(mconsoleCommand(guest.path, std::string(600, 'x')).reached);
}
