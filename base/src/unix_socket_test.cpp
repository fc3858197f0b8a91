#include "umlab/base/unix_socket.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

using namespace umlab;

TEST_CASE("a socket path that does not fit is an error, never a truncation", "[base][unix-socket]") {
  const std::string longest(kMaxUnixSocketPath, 'a');
  CHECK(UnixAddress::path(longest).length > 0);
  const std::string tooLong = "/tmp/" + std::string(kMaxUnixSocketPath, 'b');
  try {
    UnixAddress::path(tooLong);
    FAIL("no error");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENAMETOOLONG);
    CHECK(std::string(e.what()).find(tooLong) != std::string::npos);
  }
  CHECK_THROWS_AS(UnixAddress::path(""), std::system_error);
  CHECK_THROWS_AS(listenUnixStream(tooLong), std::system_error);
  errno = 0;
  CHECK_FALSE(tryConnectUnixStream(tooLong));
  CHECK(errno == ENAMETOOLONG);
}

TEST_CASE("listen, connect, a line and the rest", "[base][unix-socket]") {
  char dir[] = "/tmp/umlab-sock-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  const std::string path = std::string(dir) + "/s";
  UniqueFd listener = listenUnixStream(path);
  UniqueFd client = connectUnixStream(path);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server);
  CHECK(writeAll(client.get(), "hello\nrest"));
  ::shutdown(client.get(), SHUT_WR);
  CHECK(readLine(server.get(), std::chrono::seconds(2)) == std::optional<std::string>("hello"));
  CHECK(readAll(server.get(), std::chrono::seconds(2)) == "rest");
  CHECK_THROWS_WITH(connectUnixStream(std::string(dir) + "/none"), Catch::Contains("connect "));
  ::unlink(path.c_str());
  ::rmdir(dir);
}
