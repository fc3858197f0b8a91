#include "umlab/kernel/image_store.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

BuiltImage build(const std::string& name, const std::string& hash, std::vector<std::string> users = {}) {
  BuiltImage b;
  b.dirName = name + "-" + hash;
  b.name = name;
  b.hash = hash;
  b.users = std::move(users);
  return b;
}

std::vector<std::string> dirNames(const std::vector<BuiltImage>& builds) {
  std::vector<std::string> names;
  for (const BuiltImage& b : builds)
    names.push_back(b.dirName);
  return names;
}

} // namespace

TEST_CASE("prune keeps the built-in recipes' builds and those a recorded topology still names", "[kernel][image]") {
  const std::vector<BuiltImage> builds{
      build("debian", "1111111111111111"),                              // the current built-in
      build("debian", "0000000000000000"),                              // an old one
      build("web", "2222222222222222", {"/labs/a.yaml"}),               // a.yaml still defines it so
      build("web", "3333333333333333", {"/labs/a.yaml"}),               // a.yaml was edited since
      build("db", "4444444444444444", {"/labs/gone.yaml", "/labs/b.yaml"}), // one user gone, one left
      build("db", "5555555555555555", {"/labs/gone.yaml"}),             // its only user is gone
      build("x", "6666666666666666"),                                   // no user recorded, not built in
      build("y", "7777777777777777"),                                   // a running lab uses it
  };
  const std::map<std::pair<std::string, std::string>, std::string> current{
      {{"/labs/a.yaml", "web"}, "2222222222222222"}, {{"/labs/b.yaml", "db"}, "4444444444444444"}};
  std::vector<std::string> asked;
  auto currentHash = [&](const std::string& path, const std::string& name) -> std::optional<std::string> {
    asked.push_back(path + ":" + name);
    auto it = current.find({path, name});
    return it == current.end() ? std::nullopt : std::optional(it->second);
  };
  const auto prunable =
      selectPrunable(builds, {"debian-1111111111111111", "y-7777777777777777"}, currentHash);
  CHECK(dirNames(prunable) == std::vector<std::string>{"debian-0000000000000000", "web-3333333333333333",
                                                       "db-5555555555555555", "x-6666666666666666"});
  CHECK(std::count(asked.begin(), asked.end(), "/labs/b.yaml:db") == 1);
}

TEST_CASE("image users are recorded once each and listed with the build", "[kernel][image]") {
  TempDir dir("umlab-store");
  const fs::path images = dir.path() / "images";
  fs::create_directories(images / "web-2222222222222222");
  std::ofstream(images / "web-2222222222222222" / "rootfs.img") << "img";
  recordImageUser(images.string(), "web-2222222222222222", "/labs/a.yaml");
  recordImageUser(images.string(), "web-2222222222222222", "/labs/b.yaml");
  recordImageUser(images.string(), "web-2222222222222222", "/labs/a.yaml");
  auto builds = listBuiltImages(images.string());
  REQUIRE(builds.size() == 1);
  CHECK(builds[0].users == std::vector<std::string>{"/labs/a.yaml", "/labs/b.yaml"});
  CHECK(builds[0].name == "web");
  CHECK(builds[0].hash == "2222222222222222");
}
