#include "umlab/lab/runtime/saved_labs.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sys/stat.h>

using namespace umlab::lab;
using namespace umlab::lab::runtime;

namespace {

LaunchPlan twoGuests() {
  LaunchPlan p;
  p.lab = "lan";
  p.stateDir = "/run/umlab/lan";
  p.netns = "own, unnamed: 'umlab host lan -- CMD' runs in it";
  SwitchPlan s;
  s.segment = "sw";
  s.mode = "switch";
  s.transport = "daemon";
  s.ctlPath = "/run/umlab/lan/sw/sw.ctl";
  s.adminPath = "/run/umlab/lan/sw/sw.admin";
  s.argv = {"/opt/umlab/bin/umlab-switchd", "--ctl", s.ctlPath, "--admin", s.adminPath};
  p.switches.push_back(s);
  for (const char* name : {"pc1", "pc2"}) {
    GuestPlan g;
    g.name = name;
    g.umid = std::string("lan.") + name;
    g.image = "debian";
    g.cowPath = "/run/umlab/lan/cow/" + g.name + ".cow";
    g.basePath = "/home/a/.cache/umlab/images/debian/rootfs.img";
    g.configDisk = "/run/umlab/lan/nodes/" + g.name + "/config.img";
    g.logPath = "/run/umlab/lan/log/" + g.name + ".log";
    g.argv = {"/usr/bin/linux.uml", "umid=" + g.umid, "uml_dir=/run/umlab/lan/uml",
              "ubd0=" + g.cowPath + "," + g.basePath, "ubd1r=" + g.configDisk,
              "eth0=daemon,0a:00:00:00:00:01,unix,/run/umlab/lan/sw/sw.ctl"};
    p.guests.push_back(g);
    p.startOrder.push_back("guest " + g.name);
  }
  p.startOrder.insert(p.startOrder.begin(), "switch sw");
  return p;
}

} // namespace

TEST_CASE("a relocated plan runs under the new state root, name, kernel, switch daemon and base", "[runtime][save]") {
  PlanRelocation r;
  r.lab = "lan2";
  r.stateRoot = "/work/state";
  r.paths["/home/a/.cache/umlab/images/debian/rootfs.img"] = "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img";
  r.paths["/usr/bin/linux.uml"] = "/opt/uml/linux";
  r.paths["/opt/umlab/bin/umlab-switchd"] = "/work/build/bin/umlab-switchd";
  const LaunchPlan p = relocatePlan(twoGuests(), r);
  CHECK(p.lab == "lan2");
  CHECK(p.stateDir == "/work/state/lan2");
  CHECK(p.netns == "own, unnamed: 'umlab host lan2 -- CMD' runs in it");
  CHECK(p.switches[0].ctlPath == "/work/state/lan2/sw/sw.ctl");
  CHECK(p.switches[0].argv[0] == "/work/build/bin/umlab-switchd");
  const GuestPlan& g = p.guests[1];
  CHECK(g.umid == "lan2.pc2");
  CHECK(g.cowPath == "/work/state/lan2/cow/pc2.cow");
  CHECK(g.basePath == "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img");
  CHECK(g.argv == std::vector<std::string>{"/opt/uml/linux", "umid=lan2.pc2", "uml_dir=/work/state/lan2/uml",
                                           "ubd0=/work/state/lan2/cow/pc2.cow,/root/.cache/umlab/images/"
                                           "debian-602008a461a27fc0/rootfs.img",
                                           "ubd1r=/work/state/lan2/nodes/pc2/config.img",
                                           "eth0=daemon,0a:00:00:00:00:01,unix,/work/state/lan2/sw/sw.ctl"});
  CHECK(p.startOrder == twoGuests().startOrder);
}

TEST_CASE("relocation replaces whole paths only: /run/umlab/lan is not a prefix of /run/umlab/lan2", "[runtime][save]") {
  LaunchPlan plan = twoGuests();
  plan.guests[0].files.push_back({"/etc/x", "/run/umlab/lan2/file", {}});
  PlanRelocation r;
  r.stateRoot = "/s";
  const LaunchPlan p = relocatePlan(plan, r);
  CHECK(p.lab == "lan");
  CHECK(p.stateDir == "/s/lan");
  CHECK(p.guests[0].files[0].hostPath == "/run/umlab/lan2/file");
  CHECK(p.guests[0].umid == "lan.pc1");
  CHECK(relocatePlan(plan, PlanRelocation{"", "/run/umlab", {}}) == plan); // nothing moves
}

TEST_CASE("saved.json reads back what was written, and refuses another version", "[runtime][save]") {
  SavedLabMeta m;
  m.lab = "lan";
  m.savedTime = 1796334000;
  m.umlabVersion = "umlab 0.1.0";
  m.origin = "/run/umlab/lan";
  m.nodes = {"pc1", "pc2"};
  m.images = {{"debian", "602008a461a27fc0", "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img", 1073741824,
               "0123456789abcdef0123456789abcdef"}};
  std::string error;
  auto back = readSavedLabMeta(savedLabMetaJson(m), error);
  REQUIRE(back);
  CHECK(*back == m);
  std::string other = savedLabMetaJson(m);
  other.replace(other.find("\"version\": 1"), 12, "\"version\": 9");
  CHECK_FALSE(readSavedLabMeta(other, error));
  CHECK(error == "version: not 1 (saved by another version of umlab?)");
}

TEST_CASE("the data directory is $UMLAB_DATA_DIR, else $XDG_DATA_HOME/umlab, else ~/.local/share/umlab",
          "[runtime][save]") {
  struct Restore {
    std::vector<std::pair<std::string, std::optional<std::string>>> vars;
    Restore() {
      for (const char* v : {"UMLAB_DATA_DIR", "XDG_DATA_HOME", "HOME"}) {
        const char* value = std::getenv(v);
        vars.emplace_back(v, value ? std::optional<std::string>(value) : std::nullopt);
      }
    }
    ~Restore() {
      for (const auto& [name, value] : vars)
        value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
    }
  } restore;
  ::setenv("UMLAB_DATA_DIR", "/d", 1);
  CHECK(dataDirFromEnvironment() == "/d");
  ::unsetenv("UMLAB_DATA_DIR");
  ::setenv("XDG_DATA_HOME", "/x", 1);
  CHECK(dataDirFromEnvironment() == "/x/umlab");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", "/home/u", 1);
  CHECK(dataDirFromEnvironment() == "/home/u/.local/share/umlab");
}

TEST_CASE("a saved lab appears once committed, private, and is refused a second time", "[runtime][save]") {
  umlab::TempDir dir("saved");
  const SavedLabs store(dir.file("data"));
  CHECK(store.labs().empty());
  const std::string partial = store.makePartial("lan");
  SavedLabMeta m;
  m.lab = "lan";
  m.savedTime = 1;
  std::ofstream(partial + "/saved.json") << savedLabMetaJson(m);
  CHECK(store.labs().empty()); // partial: not listed
  store.commit(partial, "lan");
  CHECK(store.labs() == std::vector<std::string>{"lan"});
  struct stat st {};
  REQUIRE(::stat(store.root().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(store.read("lan").meta.lab == "lan");
  const std::string again = store.makePartial("lan");
  CHECK_THROWS_WITH(store.commit(again, "lan"), Catch::StartsWith("lab 'lan' is saved already"));
  store.remove("lan");
  CHECK_THROWS_WITH(store.read("lan"), Catch::StartsWith("there is no saved lab named 'lan'"));
}

TEST_CASE("a base is found only when it is the very build the disks were made on", "[runtime][save]") {
  umlab::TempDir dir("bases");
  // Two "builds" of one recipe: ext4 superblocks with different UUIDs.
  auto makeImage = [&](const std::string& path, uint8_t uuidByte) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::string img(8192, '\0');
    img[1024 + 0x38] = 0x53;
    img[1024 + 0x39] = static_cast<char>(0xEF);
    for (int i = 0; i < 16; ++i)
      img[1024 + 0x68 + i] = static_cast<char>(uuidByte);
    std::ofstream(path, std::ios::binary) << img;
  };
  const std::string mine = dir.file("images/debian-aaaa/rootfs.img");
  makeImage(mine, 0x11);
  SavedImage image{"debian", "aaaa", "/elsewhere/images/debian-aaaa/rootfs.img", 8192, filesystemUuid(mine)};
  CHECK(image.uuid == "11111111111111111111111111111111");
  const ImageDirs dirs{dir.file("images"), ""};
  CHECK(findLocalBase(image, dirs, "") == mine);

  image.uuid = "22222222222222222222222222222222"; // made on another build of the same recipe
  CHECK_THROWS_WITH(findLocalBase(image, dirs, ""),
                    Catch::Contains("'" + mine + "' is another build of it (file system UUID 11111111111111111111111111111111") &&
                        Catch::Contains("copy the build's directory 'debian-aaaa'"));

  image.recipeHash = "bbbb"; // a recipe this host has not built
  CHECK_THROWS_WITH(findLocalBase(image, dirs, ""),
                    Catch::StartsWith("image 'debian': the lab's disks were made on the build of recipe hash bbbb") &&
                        Catch::Contains("'umlab image build' would make a new build"));
}
