#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

using namespace umlab;

static bool isOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST_CASE("UniqueFd closes once and moves ownership", "[base][fd]") {
  int raw = ::open("/dev/null", O_RDONLY);
  REQUIRE(raw >= 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    CHECK_FALSE(a.isValid());
    CHECK(b.get() == raw);
    UniqueFd c;
    c = std::move(b);
    CHECK(isOpen(raw));
  }
  CHECK_FALSE(isOpen(raw));
  int raw2 = ::open("/dev/null", O_RDONLY);
  UniqueFd d(raw2);
  CHECK(d.release() == raw2);
  CHECK(isOpen(raw2));
  ::close(raw2);
}
