// `umlab image ls`'s table, from recipes and builds made up here.
#include "image_listing.hpp"

#include <catch2/catch.hpp>

using namespace umlab;

namespace {

kernel::BuiltImage build(const std::string& name, const std::string& hash, uint64_t disk,
                         std::vector<std::string> users = {}) {
  kernel::BuiltImage b;
  b.dirName = name + "-" + hash;
  b.name = name;
  b.hash = hash;
  b.diskSize = disk;
  b.apparentSize = 1ULL << 30;
  b.users = std::move(users);
  return b;
}

} // namespace

TEST_CASE("image ls shows each recipe with its build, then the orphan builds", "[cli][image]") {
  const std::vector<cli::ListedRecipe> recipes{{"debian", "-", "built in", "1111111111111111"},
                                               {"kathara-base", "debian", "built in", "2222222222222222"},
                                               {"web", "kathara-base", "lab.yaml", "3333333333333333"}};
  const std::vector<kernel::BuiltImage> builds{build("debian", "1111111111111111", 300ULL << 20),
                                               build("web", "0000000000000000", 500ULL << 20, {"/labs/lab.yaml"})};
  CHECK(cli::renderImageListing(recipes, builds, "/cache/images") ==
        "NAME          FROM          HASH              BUILT  ON DISK  APPARENT  DEFINED IN\n"
        "debian        -             1111111111111111  yes    300M     1.0G      built in\n"
        "kathara-base  debian        2222222222222222  no     -        -         built in\n"
        "web           kathara-base  3333333333333333  no     -        -         lab.yaml\n"
        "\n"
        "builds that no recipe above names (orphans; 'umlab image prune' removes those no recorded user names "
        "either):\n"
        "BUILD                 ON DISK  APPARENT  RECORDED USERS\n"
        "web-0000000000000000  500M     1.0G      /labs/lab.yaml\n"
        "3 recipes, 2 builds (800M on disk) in '/cache/images'\n");
}

TEST_CASE("image ls without a kernel shows unknown hashes and nothing as built", "[cli][image]") {
  const std::vector<cli::ListedRecipe> recipes{{"debian", "-", "built in", ""}};
  const std::vector<kernel::BuiltImage> builds{build("debian", "1111111111111111", 1ULL << 20)};
  const std::string text = cli::renderImageListing(recipes, builds, "/c");
  CHECK(text.find("debian  -     unknown  no ") != std::string::npos);
  CHECK(text.find("debian-1111111111111111  1.0M") != std::string::npos);
  CHECK(text.find("1 recipe, 1 build (1.0M on disk) in '/c'\n") != std::string::npos);
}

TEST_CASE("image ls shows what only the system's directory has as 'system'", "[cli][image][system]") {
  const std::vector<cli::ListedRecipe> recipes{{"debian", "-", "built in", "1111111111111111"},
                                               {"services", "debian", "built in", "2222222222222222"}};
  const std::vector<kernel::BuiltImage> own{build("debian", "1111111111111111", 300ULL << 20)};
  const std::vector<kernel::BuiltImage> shared{build("debian", "1111111111111111", 300ULL << 20),
                                               build("services", "2222222222222222", 400ULL << 20),
                                               build("web", "3333333333333333", 500ULL << 20)};
  CHECK(cli::renderImageListing(recipes, own, "/home/u/.cache/umlab/images", shared, "/var/lib/umlab/images") ==
        "NAME      FROM    HASH              BUILT   ON DISK  APPARENT  DEFINED IN\n"
        "debian    -       1111111111111111  yes     300M     1.0G      built in\n"
        "services  debian  2222222222222222  system  400M     1.0G      built in\n"
        "\n"
        "builds that no recipe above names (orphans; 'umlab image prune' removes those no recorded user names "
        "either):\n"
        "BUILD                          ON DISK  APPARENT  RECORDED USERS\n"
        "web-3333333333333333 (system)  500M     1.0G      -\n"
        "2 recipes, 1 build (300M on disk) in '/home/u/.cache/umlab/images'\n"
        "3 builds (1.2G on disk) shared read-only by the system in '/var/lib/umlab/images'\n");
}
