#include "umlab/kernel/image_mirror.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

void writeIn(const TempDir& dir, const std::string& name, const std::string& text) {
  fs::create_directories((dir.path() / name).parent_path());
  std::ofstream(dir.path() / name, std::ios::binary) << text;
}


} // namespace

TEST_CASE("one-line sources: options, comments and deb-src are handled", "[kernel][image][mirror]") {
  auto s = parseOneLineSources("# deb http://commented.example/debian bookworm main\n"
                               "deb-src http://src.example/debian bookworm main\n"
                               "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://m.example/debian/ bookworm main contrib # tail\n"
                               "deb http://security.debian.org/debian-security bookworm-security main\n"
                               "garbage line\n"
                               "deb [broken http://x bookworm main\n");
  REQUIRE(s.size() == 3);
  CHECK(s[0].type == "deb-src");
  CHECK(s[1].type == "deb");
  CHECK(s[1].uri == "http://m.example/debian/");
  CHECK(s[1].suite == "bookworm");
  CHECK(s[1].components == std::vector<std::string>{"main", "contrib"});
  CHECK(pickDebianMirror(s, "bookworm") == "http://m.example/debian");
  CHECK_FALSE(pickDebianMirror(s, "trixie"));
}

TEST_CASE("deb822 sources: every type, URI and suite of an enabled stanza", "[kernel][image][mirror]") {
  // The stanzas of this machine's /etc/apt/sources.list.d/debian.sources, with a disabled one first.
  auto s = parseDeb822Sources("Types: deb\n"
                              "URIs: http://disabled.example/debian\n"
                              "Suites: bookworm\n"
                              "Components: main\n"
                              "Enabled: no\n"
                              "\n"
                              "Types: deb\n"
                              "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
                              "URIs: http://deb.debian.org/debian\n"
                              "Suites: bookworm bookworm-updates\n"
                              "Components: main\n"
                              "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                              "\n"
                              "Types: deb\n"
                              "URIs: http://deb.debian.org/debian-security\n"
                              "Suites: bookworm-security\n"
                              "Components: main\n");
  REQUIRE(s.size() == 3);
  CHECK(s[0].uri == "http://deb.debian.org/debian");
  CHECK(s[1].suite == "bookworm-updates");
  CHECK(s[2].suite == "bookworm-security");
  CHECK(pickDebianMirror(s, "bookworm") == "http://deb.debian.org/debian");
}

TEST_CASE("deb822 sources: folded fields, case-insensitive keys, CRLF", "[kernel][image][mirror]") {
  auto s = parseDeb822Sources("types: deb-src deb\r\n"
                              "URIs: https://a.example/debian\r\n"
                              " https://b.example/debian\r\n"
                              "Suites: bookworm\r\n"
                              "Components: contrib main\r\n");
  REQUIRE(s.size() == 4);
  CHECK(s[0].type == "deb-src");
  CHECK(pickDebianMirror(s, "bookworm") == "https://a.example/debian");
}

TEST_CASE("a mirror must serve main over a method debootstrap can fetch", "[kernel][image][mirror]") {
  std::vector<AptSource> s{{"deb", "cdrom:[Debian 12]/", "bookworm", {"main"}},
                           {"deb", "mirror+file:/etc/apt/mirrors.txt", "bookworm", {"main"}},
                           {"deb", "http://contrib-only.example/debian", "bookworm", {"contrib"}},
                           {"deb", "file:/srv/mirror/", "bookworm", {"main"}}};
  CHECK(pickDebianMirror(s, "bookworm") == "file:/srv/mirror");
}

TEST_CASE("the host mirror comes from sources.list first, then sources.list.d in name order", "[kernel][image][mirror]") {
  TempDir apt("umlab-mirror");
  CHECK(findHostMirror("bookworm", apt.path().string()).uri == kFallbackMirror);
  CHECK(findHostMirror("bookworm", apt.path().string()).origin == "default");

  writeIn(apt, "sources.list.d/50-nodesource.sources",
            "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n");
  writeIn(apt, "sources.list.d/google.list.disabled", "deb http://disabled.example/debian bookworm main\n");
  writeIn(apt, "sources.list.d/90-local.list", "deb http://late.example/debian bookworm main\n");
  writeIn(apt, "sources.list.d/10-debian.sources",
            "Types: deb\nURIs: http://early.example/debian\nSuites: bookworm\nComponents: main\n");
  MirrorChoice c = findHostMirror("bookworm", apt.path().string());
  CHECK(c.uri == "http://early.example/debian");
  CHECK(c.origin == (apt.path() / "sources.list.d/10-debian.sources").string());

  writeIn(apt, "sources.list", "deb http://first.example/debian bookworm main\n");
  CHECK(findHostMirror("bookworm", apt.path().string()).uri == "http://first.example/debian");
  CHECK(findHostMirror("trixie", apt.path().string()).uri == kFallbackMirror);
}
