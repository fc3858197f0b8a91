#include "umlab/lab/compile/topology_images.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace umlab;
using namespace umlab::lab;
namespace fs = std::filesystem;

namespace {

/// A topology file with one derived image in a temporary directory, and a fake UML modules root.
struct Lab {
  TempDir dir{"umlab-topoimages"};
  fs::path file() const { return dir.path() / "lab.yaml"; }
  fs::path modules() const { return dir.path() / "modules"; }

  Lab() {
    fs::create_directories(dir.path() / "site");
    fs::create_directories(modules() / "6.1.176");
    write("site/index.html", "<h1>one</h1>\n");
    write("lab.yaml", "name: imglab\n"
                      "images:\n"
                      "  web:\n"
                      "    from: kathara-base\n"
                      "    packages: [php, apache2]\n"
                      "    files: {/var/www/html/index.html: site/index.html}\n"
                      "    run: [\"a2enmod ssl\", \"echo ok > /etc/ok\"]\n"
                      "    size: 3072M\n"
                      "  plain: {}\n"
                      "nodes:\n"
                      "  pc1: {image: web}\n"
                      "  pc2: {image: kathara-frr}\n"
                      "  pc3: {}\n");
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir.path() / name, std::ios::binary | std::ios::trunc) << text;
  }
  Topology compile() const {
    SourceManager sources;
    Diagnostics diags;
    auto c = compileFile(file().string(), sources, diags);
    REQUIRE(c);
    return c->topology;
  }
};

} // namespace

TEST_CASE("images: resolves into the model with every field and its place", "[lab][images]") {
  Lab lab;
  Topology t = lab.compile();
  REQUIRE(t.images.size() == 2);
  const TopologyImage& web = t.images[0];
  CHECK(web.name == "web");
  CHECK(web.loc.line == 3);
  CHECK(web.from.text == "kathara-base");
  CHECK(web.from.loc.line == 4);
  CHECK(web.from.loc.column == 11);
  REQUIRE(web.packages.size() == 2);
  CHECK(web.packages[1].text == "apache2");
  CHECK(web.packages[1].loc.column == 21);
  REQUIRE(web.files.size() == 1);
  CHECK(web.files[0].guestPath == "/var/www/html/index.html");
  CHECK(web.files[0].hostPath == (lab.dir.path() / "site/index.html").string());
  REQUIRE(web.commands.size() == 2);
  CHECK(web.commands[1].text == "echo ok > /etc/ok");
  CHECK(web.size.text == "3G");
  CHECK(t.images[1].from.text == "debian"); // the default parent
  CHECK(t.findImage("plain") == &t.images[1]);
  CHECK_FALSE(t.findImage("kathara-frr"));
}

TEST_CASE("a topology image's recipe covers its file's content", "[lab][images]") {
  Lab lab;
  std::string error;
  auto before = topologyImageRecipe(lab.compile(), "web", "6.1.176", &error);
  REQUIRE(before);
  CHECK(before->from == std::vector<std::string>{"kathara-base", "debian"});
  REQUIRE(before->files.size() == 1);
  CHECK(before->files[0].content == "<h1>one</h1>\n");
  CHECK(before->commands.back() == "echo ok > /etc/ok");
  CHECK(before->imageSize == "3G");
  CHECK(topologyImageRecipe(lab.compile(), "web", "6.1.176", &error)->files == before->files);
  lab.write("site/index.html", "<h1>two</h1>\n");
  auto after = topologyImageRecipe(lab.compile(), "web", "6.1.176", &error);
  REQUIRE(after);
  CHECK(kernel::recipeHash(*after) != kernel::recipeHash(*before));
  // A built-in image named by a node flattens the same way.
  auto frr = topologyImageRecipe(lab.compile(), "kathara-frr", "6.1.176", &error);
  REQUIRE(frr);
  CHECK(kernel::recipeHash(*frr) == kernel::recipeHash(kernel::imageRecipeFor("kathara-frr", "6.1.176")));
}

TEST_CASE("a topology image boots from the build of its recipe as it is now", "[lab][images][plan]") {
  Lab lab;
  Topology t = lab.compile();
  HostLayout host{"/run/umlab", "/usr/bin/linux.uml", "/cache/images", "/usr/lib/umlab/umlab-switchd", {}};
  CHECK(locateTopologyImages(t, host, lab.modules().string()) == "");
  std::string error;
  const std::string webDir = kernel::imageDirName(*topologyImageRecipe(t, "web", "6.1.176", &error));
  CHECK(host.imageDirs.at("web") == webDir);
  CHECK(host.imageDirs.count("kathara-frr") == 0);
  Diagnostics diags;
  auto p = plan(t, host, diags);
  REQUIRE(p);
  CHECK(p->guests[0].basePath == "/cache/images/" + webDir + "/rootfs.img");
  CHECK(p->guests[1].basePath == "/cache/images/kathara-frr/rootfs.img");
  CHECK(p->guests[2].basePath == "/cache/images/debian/rootfs.img");

  HostLayout noKernel{"/run/umlab", "/usr/bin/linux.uml", "/cache/images", "/usr/lib/umlab/umlab-switchd", {}};
  CHECK(locateTopologyImages(t, noKernel, (lab.dir.path() / "none").string()) ==
        "user-mode-linux is not installed; apt-get install user-mode-linux");
  CHECK(noKernel.imageDirs.empty());
}

TEST_CASE("an image the user has not built boots from the system's directory, the user's own wins",
          "[lab][images][plan]") {
  Lab lab;
  Topology t = lab.compile();
  const fs::path own = lab.dir.path() / "own", shared = lab.dir.path() / "shared";
  HostLayout host{"/run/umlab", "/usr/bin/linux.uml", own.string(), "/usr/lib/umlab/umlab-switchd", {}};
  host.systemImageDir = shared.string();
  std::string error;
  const std::string webDir = kernel::imageDirName(*topologyImageRecipe(t, "web", "6.1.176", &error));
  auto addBuild = [](const fs::path& images, const std::string& dirName, const std::string& link) {
    fs::create_directories(images / dirName);
    std::ofstream(images / dirName / "rootfs.img") << "ext4";
    if (!link.empty())
      fs::create_directory_symlink(dirName, images / link);
  };
  addBuild(shared, webDir, "web");
  addBuild(shared, "debian-1111111111111111", "debian");
  addBuild(own, "kathara-frr-2222222222222222", "kathara-frr");
  addBuild(own, "debian-0000000000000000", ""); // not what the link names: not found
  auto basePaths = [&] {
    REQUIRE(locateTopologyImages(t, host, lab.modules().string()) == "");
    Diagnostics diags;
    auto p = plan(t, host, diags);
    REQUIRE(p);
    return std::vector<std::string>{p->guests[0].basePath, p->guests[1].basePath, p->guests[2].basePath};
  };
  CHECK(basePaths() == std::vector<std::string>{(shared / webDir / "rootfs.img").string(),
                                                (own / "kathara-frr/rootfs.img").string(),
                                                (shared / "debian/rootfs.img").string()});
  // The user builds web and debian: their own builds win from now on.
  addBuild(own, webDir, "");
  fs::create_directory_symlink("debian-0000000000000000", own / "debian");
  CHECK(basePaths() == std::vector<std::string>{(own / webDir / "rootfs.img").string(),
                                                (own / "kathara-frr/rootfs.img").string(),
                                                (own / "debian/rootfs.img").string()});
  // Neither directory has it: the user's own path, which 'umlab up' reports missing.
  fs::remove_all(own);
  fs::remove_all(shared / webDir);
  const auto missing = basePaths();
  CHECK(missing[0] == (own / webDir / "rootfs.img").string());
  CHECK(missing[1] == (own / "kathara-frr/rootfs.img").string());
  CHECK(missing[2] == (shared / "debian/rootfs.img").string());
}

TEST_CASE("the system's image directory comes from UMLAB_SYSTEM_IMAGES, else /var/lib/umlab/images",
          "[lab][images]") {
  const char* old = std::getenv("UMLAB_SYSTEM_IMAGES");
  const std::string saved = old ? old : "";
  ::unsetenv("UMLAB_SYSTEM_IMAGES");
  CHECK(hostLayoutFromEnvironment("umlab").systemImageDir == "/var/lib/umlab/images");
  ::setenv("UMLAB_SYSTEM_IMAGES", "/srv/class/images", 1);
  CHECK(hostLayoutFromEnvironment("umlab").systemImageDir == "/srv/class/images");
  if (old)
    ::setenv("UMLAB_SYSTEM_IMAGES", saved.c_str(), 1);
  else
    ::unsetenv("UMLAB_SYSTEM_IMAGES");
}
