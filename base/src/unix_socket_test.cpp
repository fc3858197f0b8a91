#include "umlab/base/unix_socket.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
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

TEST_CASE("a listening socket's file appears only once it listens, and replaces a stale one", "[base][unix-socket]") {
  char dir[] = "/tmp/umlab-sock-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  const std::string path = std::string(dir) + "/s";
  {
    // A stale socket file: bound, never listening (a process that died before listen).
    UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const UnixAddress a = UnixAddress::path(path);
    REQUIRE(::bind(stale.get(), a.get(), a.length) == 0);
    errno = 0;
    CHECK_FALSE(tryConnectUnixStream(path));
    CHECK(errno == ECONNREFUSED);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  bindListening(fd.get(), path, 4);
  CHECK(tryConnectUnixStream(path)); // the file is there: it listens
  // The sibling name it was bound to is gone: once `s` is removed, the directory is empty.
  CHECK(::unlink(path.c_str()) == 0);
  CHECK(::rmdir(dir) == 0); // empty: no temporary name left behind
}

TEST_CASE("a socket whose sibling name would not fit still listens at its path", "[base][unix-socket]") {
  // A directory path so long that "/.listen-PID-N" does not fit, while "/s" does.
  std::string dir = "/tmp/umlab-sock-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()));
  const std::string top = dir;
  while (dir.size() + 2 + 10 < kMaxUnixSocketPath) {
    dir += "/d";
    REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  }
  const std::string path = dir + "/s";
  REQUIRE(path.size() <= kMaxUnixSocketPath);
  UniqueFd listener = listenUnixStream(path);
  CHECK(tryConnectUnixStream(path));
  ::unlink(path.c_str());
  for (std::string d = dir; d.size() > top.size(); d = d.substr(0, d.rfind('/')))
    ::rmdir(d.c_str());
  CHECK(::rmdir(top.c_str()) == 0);
}
