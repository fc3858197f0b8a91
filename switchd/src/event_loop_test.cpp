#include "event_loop.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {

/// A readable socket (one end of a pair with a byte waiting) and what happened to it.
struct Readable final : FdHandler {
  explicit Readable(std::vector<int>& calls, int name) : calls(calls), name(name) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    fd.reset(fds[0]);
    peer.reset(fds[1]);
    REQUIRE(::write(peer.get(), "x", 1) == 1);
  }
  void onReady(uint32_t) override {
    calls.push_back(name);
    if (onCall)
      onCall();
  }

  std::vector<int>& calls;
  int name;
  UniqueFd fd;
  UniqueFd peer;
  std::function<void()> onCall;
};

} // namespace

TEST_CASE("a handler removed while the loop dispatches gets no more events of that wait", "[switchd][event_loop]") {
  EventLoop loop;
  std::vector<int> calls;
  auto first = std::make_unique<Readable>(calls, 1);
  auto second = std::make_unique<Readable>(calls, 2);
  loop.add(first->fd.get(), EPOLLIN, *first);
  loop.add(second->fd.get(), EPOLLIN, *second);
  // Whichever is called first removes and destroys the other.
  auto removeOther = [&](std::unique_ptr<Readable>& other) {
    if (other) {
      loop.remove(other->fd.get(), *other);
      other.reset();
    }
  };
  first->onCall = [&] { removeOther(second); };
  second->onCall = [&] { removeOther(first); };
  int turns = 0;
  loop.run([] { return Duration(10ms); },
           [&] {
             if (++turns == 2)
               ::raise(SIGTERM); // blocked: the loop reads it from its signalfd and stops
           });
  CHECK(turns == 3);
  // Level-triggered: the survivor is called on every turn, the other one never.
  REQUIRE(calls.size() == 3);
  CHECK(std::count(calls.begin(), calls.end(), calls[0]) == 3);
}
