#include "umlab/kernel/image_recipe.hpp"

#include "umlab/kernel/builtin_images.hpp"

#include "umlab/base/temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

ImageRecipe sampleRecipe() {
  ImageRecipe r;
  r.name = "debian";
  r.suite = "bookworm";
  r.variant = "minbase";
  r.packages = {"iproute2", "kmod"};
  r.architecture = "amd64";
  r.kernelVersion = "6.1.176";
  r.bootShim = "#!/bin/sh\nexec /run/umlab/bin/umlab-init\n";
  r.imageSize = "1G";
  r.formatVersion = 1;
  return r;
}


} // namespace

TEST_CASE("the same recipe always has the same hash", "[kernel][image]") {
  ImageRecipe a = sampleRecipe(), b = sampleRecipe();
  CHECK(recipeHash(a) == recipeHash(b));
  CHECK(recipeHash(a).size() == 16);
  CHECK(recipeHash(a).find_first_not_of("0123456789abcdef") == std::string::npos);
  // Pinned: the hash must not depend on the machine, the compiler or the run. If this changes,
  // every user's cached image is rebuilt; change it only together with kImageFormatVersion.
  CHECK(recipeHash(a) == "ca129add21bef47c");
  CHECK(imageDirName(a) == "debian-" + recipeHash(a));
}

TEST_CASE("changing any field of a recipe changes its hash", "[kernel][image]") {
  const std::string base = recipeHash(sampleRecipe());
  const std::vector<std::pair<const char*, std::function<void(ImageRecipe&)>>> changes{
      {"name", [](ImageRecipe& r) { r.name = "debian2"; }},
      {"suite", [](ImageRecipe& r) { r.suite = "trixie"; }},
      {"variant", [](ImageRecipe& r) { r.variant = "buildd"; }},
      {"a package added", [](ImageRecipe& r) { r.packages.push_back("net-tools"); }},
      {"a package removed", [](ImageRecipe& r) { r.packages.pop_back(); }},
      {"package order", [](ImageRecipe& r) { std::swap(r.packages[0], r.packages[1]); }},
      {"package boundaries", [](ImageRecipe& r) { r.packages = {"iproute2kmod"}; }},
      {"architecture", [](ImageRecipe& r) { r.architecture = "i386"; }},
      {"kernel version", [](ImageRecipe& r) { r.kernelVersion = "6.1.177"; }},
      {"boot shim", [](ImageRecipe& r) { r.bootShim += "\n"; }},
      {"image size", [](ImageRecipe& r) { r.imageSize = "2G"; }},
      {"format version", [](ImageRecipe& r) { r.formatVersion = 2; }},
  };
  std::vector<std::string> seen{base};
  for (const auto& [what, change] : changes) {
    ImageRecipe r = sampleRecipe();
    change(r);
    INFO("changed: " << what);
    const std::string h = recipeHash(r);
    CHECK(std::find(seen.begin(), seen.end(), h) == seen.end());
    seen.push_back(h);
  }
}

TEST_CASE("a value cannot pose as the next field", "[kernel][image]") {
  ImageRecipe a = sampleRecipe(), b = sampleRecipe();
  a.suite = "bookworm\nvariant=7:minbase";
  b.variant = "";
  CHECK(recipeHash(a) != recipeHash(b));
}

TEST_CASE("the default recipe carries the lab packages and the kernel version", "[kernel][image]") {
  ImageRecipe r = defaultImageRecipe("debian", "6.1.176");
  CHECK(r.suite == "bookworm");
  CHECK(r.variant == "minbase");
  CHECK(r.packages.size() == 12);
  CHECK(r.packages.back() == "net-tools");
  CHECK(r.kernelVersion == "6.1.176");
  CHECK(r.bootShim.rfind("#!/bin/sh", 0) == 0);
  CHECK(r.formatVersion == kImageFormatVersion);
  CHECK(recipeHash(r) != recipeHash(defaultImageRecipe("debian", "6.1.177")));
}

TEST_CASE("the UML kernel version is the one directory of modules", "[kernel][image]") {
  TempDir dir("umlab-recipe");
  std::string error;
  CHECK_FALSE(findUmlKernelVersion((dir.path() / "missing").string(), &error));
  CHECK(error == "user-mode-linux is not installed; apt-get install user-mode-linux");
  error.clear();
  CHECK_FALSE(findUmlKernelVersion(dir.path().string(), &error));
  CHECK(error == "user-mode-linux is not installed; apt-get install user-mode-linux");
  fs::create_directory(dir.path() / "6.1.176");
  CHECK(findUmlKernelVersion(dir.path().string(), &error) == "6.1.176");
  fs::create_directory(dir.path() / "6.1.180");
  CHECK_FALSE(findUmlKernelVersion(dir.path().string(), &error));
  CHECK(error == "several UML kernels have modules in '" + dir.path().string() +
                     "' (6.1.176 6.1.180); remove the ones not in use");
}

TEST_CASE("image names are plain lowercase words that cannot look like cache directories", "[kernel][image]") {
  CHECK(isValidImageName("debian"));
  CHECK(isValidImageName("lab-2.test_x"));
  CHECK_FALSE(isValidImageName(""));
  CHECK_FALSE(isValidImageName(".hidden"));
  CHECK_FALSE(isValidImageName("-x"));
  CHECK_FALSE(isValidImageName("Debian"));
  CHECK_FALSE(isValidImageName("a/b"));
  CHECK_FALSE(isValidImageName(std::string(65, 'a')));
  CHECK_FALSE(isValidImageName("debian-0123456789abcdef"));
  CHECK(isValidImageName("debian-0123456789abcdeg"));
}

TEST_CASE("recipe.txt lists every field and ends with the hash", "[kernel][image]") {
  ImageRecipe r = sampleRecipe();
  std::string text = renderRecipe(r);
  CHECK(text.rfind("name debian\nsuite bookworm\nvariant minbase\npackages iproute2 kmod\n", 0) == 0);
  CHECK(text.find("\nkernel 6.1.176\n") != std::string::npos);
  CHECK(text.find("\nboot-shim-fnv1a64 ") != std::string::npos);
  CHECK(text.size() > 22);
  CHECK(text.substr(text.size() - 22) == "hash " + recipeHash(r) + "\n");
}

TEST_CASE("the built-in recipes debian and services are what they were before derivations", "[kernel][image]") {
  ImageRecipe debian = imageRecipeFor("debian", "6.1.176");
  CHECK(recipeHash(debian) == recipeHash(defaultImageRecipe("debian", "6.1.176")));
  CHECK(debian.from.empty());
  ImageRecipe services = imageRecipeFor("services", "6.1.176");
  ImageRecipe old = defaultImageRecipe("services", "6.1.176");
  old.packages = servicesImagePackages();
  CHECK(recipeHash(services) == recipeHash(old));
  // An unknown name is today's default recipe under that name.
  CHECK(imageRecipeFor("mylab", "6.1.176").packages == defaultImagePackages());
}

TEST_CASE("a derived image flattens its chain: packages in order without duplicates, nearest size", "[kernel][image]") {
  std::vector<ImageLayer> layers{
      {"web", "kathara-base", {"php", "apache2", "php"}, {{"/var/www/html/index.html", "/h/index.html", "hi\n", 0644}},
       {"a2enmod ssl"}, "", ""},
      {"shop", "web", {"curl", "mariadb-server"}, {}, {"echo shop"}, "3G", ""},
  };
  std::string error;
  auto r = flattenImage("shop", layers, "6.1.176", &error);
  REQUIRE(r);
  CHECK(r->name == "shop");
  CHECK(r->from == std::vector<std::string>{"web", "kathara-base", "debian"});
  const std::vector<std::string> base = defaultImagePackages();
  REQUIRE(r->packages.size() > base.size());
  CHECK(std::equal(base.begin(), base.end(), r->packages.begin())); // the root's first
  CHECK(std::count(r->packages.begin(), r->packages.end(), "apache2") == 1);
  CHECK(std::count(r->packages.begin(), r->packages.end(), "curl") == 1); // kathara-base has it too
  CHECK(std::count(r->packages.begin(), r->packages.end(), "php") == 1);
  CHECK(r->packages.back() == "mariadb-server");
  CHECK(std::find(r->packages.begin(), r->packages.end(), "php") <
        std::find(r->packages.begin(), r->packages.end(), "mariadb-server"));
  REQUIRE(r->commands.size() == 3);
  CHECK(r->commands[1] == "a2enmod ssl"); // kathara-base's own command first
  CHECK(r->commands[2] == "echo shop");
  CHECK(r->files.size() == 1);
  CHECK(r->imageSize == "3G");
  auto web = flattenImage("web", layers, "6.1.176", &error);
  REQUIRE(web);
  CHECK(web->imageSize == "2G"); // kathara-base's
}

TEST_CASE("flattening reports an unknown parent and a cycle", "[kernel][image]") {
  std::string error;
  CHECK_FALSE(flattenImage("web", {{"web", "nope", {}, {}, {}, "", ""}}, "6.1.176", &error));
  CHECK(error == "image 'nope' (the parent of 'web') is neither defined in the topology nor built in");
  CHECK_FALSE(flattenImage("a", {{"a", "b", {}, {}, {}, "", ""}, {"b", "a", {}, {}, {}, "", ""}}, "6.1.176", &error));
  CHECK(error == "the images derived from 'a' form a cycle");
}

TEST_CASE("a derived recipe's hash covers its files' contents, modes, commands and their order", "[kernel][image]") {
  auto make = [](std::function<void(ImageLayer&)> change) {
    ImageLayer l{"web", "debian", {"curl"}, {{"/a", "/h/a", "one\n", 0644}, {"/b", "/h/b", "two\n", 0644}},
                 {"echo 1", "echo 2"}, "", ""};
    change(l);
    std::string error;
    return recipeHash(*flattenImage("web", {l}, "6.1.176", &error));
  };
  const std::string base = make([](ImageLayer&) {});
  CHECK(make([](ImageLayer&) {}) == base);
  CHECK(make([](ImageLayer& l) { l.files[0].content = "one!\n"; }) != base);
  CHECK(make([](ImageLayer& l) { l.files[0].mode = 0755; }) != base);
  CHECK(make([](ImageLayer& l) { std::swap(l.files[0], l.files[1]); }) != base);
  CHECK(make([](ImageLayer& l) { std::swap(l.commands[0], l.commands[1]); }) != base);
  CHECK(make([](ImageLayer& l) { l.commands.pop_back(); }) != base);
  CHECK(make([](ImageLayer& l) { l.from = "kathara-base"; }) != base);
  // Where the content was read from is not part of the image.
  CHECK(make([](ImageLayer& l) { l.files[0].hostPath = "/elsewhere/a"; }) == base);
  // A derivation that adds nothing is still not its parent.
  std::string error;
  CHECK(recipeHash(*flattenImage("debian2", {{"debian2", "debian", {}, {}, {}, "", ""}}, "6.1.176", &error)) !=
        recipeHash(*flattenImage("debian2", {{"debian2", "", defaultImagePackages(), {}, {}, "1G", ""}}, "6.1.176",
                                 &error)));
}

TEST_CASE("the Kathara images carry the lab tools, and kathara-frr adds FRR", "[kernel][image]") {
  std::string error;
  auto base = flattenImage("kathara-base", {}, "6.1.176", &error);
  REQUIRE(base);
  for (const char* p : {"dnsutils", "curl", "apache2", "bind9", "isc-dhcp-server", "isc-dhcp-client", "tcpdump",
                        "iptables", "nftables", "net-tools", "iputils-ping", "traceroute", "netcat-openbsd", "procps",
                        "iproute2", "ethtool", "bridge-utils", "vlan", "vim-tiny", "less"})
    CHECK(std::count(base->packages.begin(), base->packages.end(), p) == 1);
  auto frr = flattenImage("kathara-frr", {}, "6.1.176", &error);
  REQUIRE(frr);
  CHECK(frr->from == std::vector<std::string>{"kathara-base", "debian"});
  CHECK(frr->packages.size() == base->packages.size() + 3);
  CHECK(frr->packages.back() == "frr-snmp");
  std::vector<std::string> names;
  for (const BuiltinImageInfo& i : builtinImages()) {
    names.push_back(i.name);
    CHECK(!i.description.empty());
  }
  CHECK(names == std::vector<std::string>{"debian", "services", "kathara-base", "kathara-frr"});
}

TEST_CASE("recipe.txt lists a derived recipe's parents, files and commands", "[kernel][image]") {
  std::string error;
  auto r = flattenImage("web", {{"web", "debian", {}, {{"/etc/x", "/h/x", "x", 0755}}, {"echo a\necho b"}, "", ""}},
                        "6.1.176", &error);
  REQUIRE(r);
  const std::string text = renderRecipe(*r);
  CHECK(text.find("\nfrom debian\n") != std::string::npos);
  CHECK(text.find("\nfile /etc/x 0755 fnv1a64:") != std::string::npos);
  CHECK(text.find(" /h/x\n") != std::string::npos);
  CHECK(text.find("\nrun echo a echo b\n") != std::string::npos);
}
