#include "umlab/switchd/egress_queue.hpp"

#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <sys/socket.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd;

namespace {
std::vector<uint8_t> frame(int i) {
  std::string s = "frame " + std::to_string(i);
  return {s.begin(), s.end()};
}

std::vector<std::string> drain(int fd) {
  std::vector<std::string> got;
  char buf[2048];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0;)
    got.emplace_back(buf, size_t(n));
  return got;
}
} // namespace

TEST_CASE("EgressQueue sends what the receiver takes and keeps the rest in order", "[switchd][egress]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  UniqueFd a(sv[0]), b(sv[1]);
  // A small receive buffer so that the receiver fills after a few frames.
  int size = 4096;
  REQUIRE(::setsockopt(b.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0);
  REQUIRE(::setsockopt(a.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
  EgressQueue q(200);
  for (int i = 0; i < 200; ++i)
    REQUIRE(q.push(frame(i)));
  CHECK_FALSE(q.push(frame(999))); // full
  EgressQueue::FlushResult r = q.flush(a.get());
  CHECK(r.sent > 0);
  CHECK(r.sent < 200);
  CHECK(q.size() == 200 - r.sent);
  std::vector<std::string> got;
  while (!q.empty() || got.size() < 200) {
    for (std::string& s : drain(b.get()))
      got.push_back(std::move(s));
    q.flush(a.get());
    if (got.size() >= 200)
      break;
  }
  REQUIRE(got.size() == 200);
  for (int i = 0; i < 200; ++i)
    CHECK(got[size_t(i)] == "frame " + std::to_string(i));
}

TEST_CASE("EgressQueue drops frames a vanished receiver refuses", "[switchd][egress]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  UniqueFd a(sv[0]);
  ::close(sv[1]);
  EgressQueue q;
  REQUIRE(q.push(frame(1)));
  REQUIRE(q.push(frame(2)));
  EgressQueue::FlushResult r = q.flush(a.get());
  CHECK(r.sent == 0);
  CHECK(r.failed == 2);
  CHECK(q.empty());
  CHECK_FALSE(q.push(std::vector<uint8_t>(EgressQueue::kSlotSize + 1)));
  REQUIRE(q.push(frame(3)));
  CHECK(q.clear() == 1);
}
