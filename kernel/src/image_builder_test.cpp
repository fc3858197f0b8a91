// The image builder against a fake command runner: the order of the steps, the cache, the
// link, and what a failure leaves behind. The real build is the `image.build` integration test.
#include "umlab/kernel/image_builder.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace umlab;
using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {


std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

/// Plays debootstrap, chroot, mkfs.ext4 and debugfs well enough for the builder.
class FakeRunner : public CommandRunner {
public:
  std::vector<Command> commands;
  std::string failing;       ///< the program that fails, if any
  bool isCancelledNow = false;
  std::string shim;
  std::vector<std::string> seenInRootAtMkfs; ///< what the tree held when mkfs ran
  std::string failingCommand;                ///< a recipe command (`chroot ROOT /bin/sh -c CMD`) that fails
  std::vector<std::string> policyAtCommand;  ///< /usr/sbin/policy-rc.d's text when each command ran

  CommandResult run(const Command& c, const std::function<void(std::string_view)>& onLine,
                    const std::function<void()>& onTick) override {
    commands.push_back(c);
    CommandResult r;
    r.status.code = 0;
    std::vector<std::string> out;
    const std::string& program = c.argv[0];
    if (onTick)
      onTick();
    if (program == failing) {
      out = {"something went wrong", "E: the last line"};
      r.status.code = 1;
    } else if (program == "debootstrap") {
      fs::path root = c.argv[c.argv.size() - 2];
      fs::create_directories(root / "usr/sbin");
      fs::create_directories(root / "usr/lib");
      fs::create_directories(root / "etc/alternatives");
      fs::create_directories(root / "var/cache/apt/archives/partial");
      fs::create_symlink("usr/sbin", root / "sbin");
      fs::create_symlink("/usr/lib", root / "lib"); // absolute, as a hostile tree could have it
      fs::create_symlink("/etc/alternatives/iptables", root / "usr/sbin/iptables");
      writeFile(root / "var/cache/apt/archives/libc6.deb", std::string(10000, 'x'));
      writeFile(root / "var/cache/apt/archives/lock", "");
      writeFile(root / "etc/fstab", "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n");
      out = {"I: Retrieving InRelease ", "I: Retrieving adduser 3.134", "I: Retrieving apt 2.6.1",
             "I: Unpacking adduser...", "I: Configuring adduser...", "I: Base system installed successfully."};
    } else if (program == "chroot" && c.argv[2] == "/bin/sh") {
      std::ifstream policy(resolveInRoot(c.argv[1], "/usr/sbin/policy-rc.d"));
      policyAtCommand.push_back(std::string(std::istreambuf_iterator<char>(policy), {}));
      if (c.argv[4] == failingCommand) {
        out = {"a2enmod: module nope does not exist"};
        r.status.code = 1;
      }
    } else if (program == "chroot" && c.argv[2] == "depmod") {
      writeFile(resolveInRoot(c.argv[1], "/lib/modules/" + c.argv[3] + "/modules.dep"), "kernel/net/x.ko:\n");
    } else if (program == "mkfs.ext4") {
      const fs::path root = c.argv[c.argv.size() - 3];
      for (const char* p : {"usr/sbin/umlab-boot", "etc/motd", "etc/fstab", "usr/lib/modules/6.1.176/kernel/net/x.ko",
                            "var/cache/apt/archives/libc6.deb", "var/cache/apt/archives/lock"})
        if (fs::exists(root / p))
          seenInRootAtMkfs.push_back(p);
      writeFile(c.argv[c.argv.size() - 2], std::string(4096, '\0'));
    } else if (program == "debugfs") {
      const std::string& request = c.argv[2];
      out.push_back("debugfs 1.47.0 (5-Feb-2023)");
      if (request == "cat /sbin/umlab-boot") {
        std::istringstream lines(shim);
        for (std::string l; std::getline(lines, l);)
          out.push_back(l);
      } else if (request.rfind("stat /sbin/", 0) == 0) {
        out.push_back("Inode: 12   Type: regular    Mode:  0755   Flags: 0x80000");
      } else if (request.rfind("stat /etc/alternatives/", 0) == 0) {
        out.push_back("Fast link dest: \"/usr/sbin/iptables-legacy\"");
      } else {
        out.push_back("Inode: 40   Type: regular    Mode:  0644   Flags: 0x80000");
      }
    }
    for (const std::string& l : out)
      if (onLine)
        onLine(l);
    r.lastLines = out;
    return r;
  }
  bool isCancelled() override { return isCancelledNow; }
  bool hasProgram(const std::string&) override { return true; }

  std::vector<std::string> programs() const {
    std::vector<std::string> p;
    for (const Command& c : commands)
      p.push_back(c.argv[0] == "chroot" ? "chroot " + c.argv[2] : c.argv[0]);
    return p;
  }
};

class RecordingProgress : public ImageProgress {
public:
  std::vector<std::string> events;
  void stepStarted(int index, int count, const std::string& title) override {
    events.push_back("start " + std::to_string(index) + "/" + std::to_string(count) + " " + title);
  }
  void stepUpdated(const std::string&, double) override {}
  void stepFinished(const std::string& summary, double) override { events.push_back("done " + summary); }
  void note(const std::string& text) override { events.push_back("note " + text); }
};

struct Fixture {
  TempDir dir{"umlab-builder"};
  FakeRunner runner;
  RecordingProgress progress;
  ImageRecipe recipe;
  ImageBuildOptions options;

  Fixture() {
    recipe = defaultImageRecipe("debian", "6.1.176");
    recipe.bootShim = "#!/bin/sh\nexec /run/umlab/bin/umlab-init\n";
    runner.shim = recipe.bootShim;
    options.imagesDir = (dir.path() / "images").string();
    options.modulesRoot = (dir.path() / "modules").string();
    options.mirror = "http://mirror.example/debian";
    options.hasRoot = true;
    writeFile(dir.path() / "modules/6.1.176/kernel/net/x.ko", "ELF");
    writeFile(dir.path() / "modules/6.1.176/modules.dep", "old\n");
  }
  ImageBuildResult build() { return ImageBuilder(recipe, options, runner, progress).build(); }
  fs::path images() const { return options.imagesDir; }
  fs::path finalDir() const { return images() / imageDirName(recipe); }
};

} // namespace

TEST_CASE("a build runs the six steps and installs the image behind the link", "[kernel][image][builder]") {
  Fixture f;
  ImageBuildResult r = f.build();
  INFO(r.message);
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Built);
  CHECK(f.runner.programs() == std::vector<std::string>{"debootstrap", "chroot depmod", "chroot update-alternatives",
                                                        "chroot update-alternatives", "chroot chpasswd", "mkfs.ext4",
                                                        "debugfs", "debugfs", "debugfs", "debugfs"});
  const std::string work = (f.images() / (".build-" + imageDirName(f.recipe))).string();
  CHECK(f.runner.commands[0].argv ==
        std::vector<std::string>{"debootstrap", "--variant=minbase",
                                 "--include=iproute2,iputils-ping,iptables,nftables,tcpdump,netcat-openbsd,iperf3,"
                                 "procps,kmod,ethtool,traceroute,net-tools",
                                 "--arch=" + f.recipe.architecture, "bookworm", work + "/root",
                                 "http://mirror.example/debian"});
  CHECK(f.runner.commands[2].argv ==
        std::vector<std::string>{"chroot", work + "/root", "update-alternatives", "--set", "iptables",
                                 "/usr/sbin/iptables-legacy"});
  CHECK(f.runner.commands[4].input == "root:root\n");
  CHECK(f.runner.commands[5].argv == std::vector<std::string>{"mkfs.ext4", "-q", "-F", "-L", "umlab-root", "-d",
                                                              work + "/root", work + "/rootfs.img", "1G"});
  // Written through the guest's own links, so the absolute /lib -> /usr/lib stayed inside ROOT;
  // apt's archives are empty except for its lock.
  CHECK(f.runner.seenInRootAtMkfs == std::vector<std::string>{"usr/sbin/umlab-boot", "etc/motd", "etc/fstab",
                                                               "usr/lib/modules/6.1.176/kernel/net/x.ko",
                                                               "var/cache/apt/archives/lock"});

  CHECK(fs::read_symlink(f.images() / "debian") == imageDirName(f.recipe));
  CHECK(r.imagePath == (f.finalDir() / "rootfs.img").string());
  CHECK(modeOf(f.finalDir() / "rootfs.img") == 0444);
  CHECK_FALSE(fs::exists(work));
  const std::string recipeText = readFile(f.finalDir() / "recipe.txt");
  CHECK(recipeText.find("\nhash " + recipeHash(f.recipe) + "\nmirror http://mirror.example/debian\nbuilt ") !=
        std::string::npos);
  CHECK(f.progress.events.size() == 13);
  CHECK(f.progress.events[1] == "start 1/6 debootstrap bookworm (minbase, 12 packages)");
  CHECK(f.progress.events[2] == "done 2 packages");
  CHECK(f.progress.events[12] == "done 'debian' -> " + imageDirName(f.recipe));
  CHECK(r.steps.size() == 6);

  SECTION("the second build finds it in the cache and runs nothing") {
    f.runner.commands.clear();
    ImageBuildResult again = f.build();
    CHECK(again.outcome == ImageBuildResult::Outcome::Cached);
    CHECK(again.message == "image 'debian' is up to date (recipe " + recipeHash(f.recipe) +
                               "): " + (f.finalDir() / "rootfs.img").string() + "; use --force to rebuild it");
    CHECK(f.runner.commands.empty());
  }
  SECTION("a cached image gets the link back when it pointed elsewhere") {
    fs::remove(f.images() / "debian");
    fs::create_directory_symlink("debian-0000000000000000", f.images() / "debian");
    ImageBuildResult again = f.build();
    CHECK(again.outcome == ImageBuildResult::Outcome::Cached);
    CHECK(again.message.find("now points at it") != std::string::npos);
    CHECK(fs::read_symlink(f.images() / "debian") == imageDirName(f.recipe));
  }
  SECTION("--force builds again and replaces the directory") {
    f.options.isForced = true;
    fs::remove(f.finalDir() / "recipe.txt");
    ImageBuildResult again = f.build();
    CHECK(again.outcome == ImageBuildResult::Outcome::Built);
    CHECK(fs::exists(f.finalDir() / "recipe.txt"));
    CHECK(modeOf(f.finalDir() / "rootfs.img") == 0444);
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(f.images()))
      left.push_back(e.path().filename().string());
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{".lock", "debian", imageDirName(f.recipe)});
  }
  SECTION("a cached image needs no root") {
    f.options.hasRoot = false;
    CHECK(f.build().outcome == ImageBuildResult::Outcome::Cached);
  }
}

TEST_CASE("a recipe with files and commands gets a step that copies them and runs them with no daemons",
          "[kernel][image][builder]") {
  Fixture f;
  f.recipe.name = "web";
  f.recipe.from = {"debian"};
  f.recipe.files = {{"/var/www/html/index.html", "/h/index.html", "<h1>lab</h1>\n", 0644},
                    {"/sbin/hello", "/h/hello", "#!/bin/sh\necho hi\n", 0755}};
  f.recipe.commands = {"a2enmod ssl", "echo done > /etc/done"};
  ImageBuildResult r = f.build();
  INFO(r.message);
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Built);
  CHECK(f.runner.programs() == std::vector<std::string>{"debootstrap", "chroot depmod", "chroot update-alternatives",
                                                        "chroot update-alternatives", "chroot chpasswd",
                                                        "chroot /bin/sh", "chroot /bin/sh", "mkfs.ext4", "debugfs",
                                                        "debugfs", "debugfs", "debugfs"});
  const std::string root = (f.images() / (".build-" + imageDirName(f.recipe)) / "root").string();
  CHECK(f.runner.commands[5].argv == std::vector<std::string>{"chroot", root, "/bin/sh", "-c", "a2enmod ssl"});
  CHECK(f.runner.commands[6].argv[4] == "echo done > /etc/done");
  REQUIRE(f.runner.policyAtCommand.size() == 2);
  for (const std::string& policy : f.runner.policyAtCommand)
    CHECK(policy.find("exit 101\n") != std::string::npos);
  CHECK(r.steps.size() == 7);
  CHECK(r.steps[3].title == "add 2 files and run 2 commands");
  CHECK(std::find(f.progress.events.begin(), f.progress.events.end(), "start 4/7 add 2 files and run 2 commands") !=
        f.progress.events.end());
  CHECK(std::find(f.progress.events.begin(), f.progress.events.end(), "done 2 files copied, 2 commands run") !=
        f.progress.events.end());
}

TEST_CASE("a failing recipe command names the recipe, the command and its output", "[kernel][image][builder]") {
  Fixture f;
  f.recipe.name = "web";
  f.recipe.files = {{"/etc/x", "/h/x", "x\n", 0644}};
  f.recipe.commands = {"true", "a2enmod nope", "never run"};
  f.runner.failingCommand = "a2enmod nope";
  ImageBuildResult r = f.build();
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Failed);
  const std::string root = (f.images() / (".build-" + imageDirName(f.recipe)) / "root").string();
  CHECK(r.message.rfind("step 4/7 (add 1 file and run 3 commands): recipe 'web': command 'a2enmod nope' (run 2 of 3) "
                        "failed: 'chroot " + root + " /bin/sh -c ",
                        0) == 0);
  CHECK(r.lastOutput == std::vector<std::string>{"a2enmod: module nope does not exist"});
  CHECK(f.runner.policyAtCommand.size() == 2);
  CHECK_FALSE(fs::exists(f.images() / (".build-" + imageDirName(f.recipe))));
}

TEST_CASE("a failed step removes the work tree and leaves the old link alone", "[kernel][image][builder]") {
  Fixture f;
  fs::create_directories(f.images() / "debian-0000000000000000");
  fs::create_directory_symlink("debian-0000000000000000", f.images() / "debian");
  f.runner.failing = "mkfs.ext4";
  ImageBuildResult r = f.build();
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Failed);
  const std::string work = (f.images() / (".build-" + imageDirName(f.recipe))).string();
  CHECK(r.message == "step 4/6 (make the ext4 image (1G)): 'mkfs.ext4 -q -F -L umlab-root -d " + work + "/root " +
                         work + "/rootfs.img 1G' exited with status 1");
  CHECK(r.lastOutput == std::vector<std::string>{"something went wrong", "E: the last line"});
  CHECK(r.steps.size() == 4);
  CHECK(f.progress.events.back() == "done failed");
  CHECK_FALSE(fs::exists(work));
  CHECK_FALSE(fs::exists(f.finalDir()));
  CHECK(fs::read_symlink(f.images() / "debian") == "debian-0000000000000000");
}

TEST_CASE("a failing debootstrap is reported as step 1", "[kernel][image][builder]") {
  Fixture f;
  f.runner.failing = "debootstrap";
  ImageBuildResult r = f.build();
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Failed);
  CHECK(r.message.rfind("step 1/6 (debootstrap bookworm (minbase, 12 packages)): 'debootstrap --variant=minbase ", 0) == 0);
  CHECK_FALSE(fs::exists(f.images() / "debian"));
}

TEST_CASE("an interrupted build stops before the next step", "[kernel][image][builder]") {
  Fixture f;
  f.runner.isCancelledNow = true;
  ImageBuildResult r = f.build();
  REQUIRE(r.outcome == ImageBuildResult::Outcome::Failed);
  CHECK(r.message == "step 1/6 (debootstrap bookworm (minbase, 12 packages)): interrupted");
  CHECK_FALSE(fs::exists(f.images() / (".build-" + imageDirName(f.recipe))));
  CHECK(f.runner.commands.empty());
}

TEST_CASE("without root an uncached image is refused before anything runs", "[kernel][image][builder]") {
  Fixture f;
  f.options.hasRoot = false;
  ImageBuildResult r = f.build();
  CHECK(r.outcome == ImageBuildResult::Outcome::Failed);
  CHECK(r.message == "building the base image needs root (debootstrap and chroot); run it as root, e.g. "
                     "'sudo umlab image build'");
  CHECK(f.runner.commands.empty());
  CHECK_FALSE(fs::exists(f.images()));
}

TEST_CASE("a directory where the link belongs is not replaced", "[kernel][image][builder]") {
  Fixture f;
  fs::create_directories(f.images() / "debian");
  ImageBuildResult r = f.build();
  CHECK(r.outcome == ImageBuildResult::Outcome::Failed);
  CHECK(r.message == "'" + (f.images() / "debian").string() + "' is not a symlink; move it away so that umlab can manage it");
  CHECK(f.runner.commands.empty());
}

TEST_CASE("missing kernel modules are reported before debootstrap runs", "[kernel][image][builder]") {
  Fixture f;
  f.recipe.kernelVersion = "6.1.999";
  ImageBuildResult r = f.build();
  CHECK(r.message == "the modules of UML kernel 6.1.999 are not in '" + (f.dir.path() / "modules/6.1.999").string() +
                         "'; reinstall user-mode-linux");
  CHECK(f.runner.commands.empty());
}

TEST_CASE("guest paths resolve through the guest's links without leaving its root", "[kernel][image][builder]") {
  TempDir d;
  const fs::path root = d.path() / "root";
  fs::create_directories(root / "usr/sbin");
  fs::create_symlink("usr/sbin", root / "sbin");
  fs::create_symlink("/usr", root / "abs");
  fs::create_symlink("../../../../..", root / "up");
  fs::create_symlink("loop", root / "loop");
  CHECK(resolveInRoot(root.string(), "/sbin/umlab-boot") == (root / "usr/sbin/umlab-boot").string());
  CHECK(resolveInRoot(root.string(), "/abs/sbin") == (root / "usr/sbin").string());
  CHECK(resolveInRoot(root.string(), "/up/etc/passwd") == (root / "etc/passwd").string());
  CHECK(resolveInRoot(root.string(), "/../../etc") == (root / "etc").string());
  CHECK(resolveInRoot(root.string(), "/new/dir/") == (root / "new/dir").string());
  CHECK(resolveInRoot(root.string(), "/loop").rfind(root.string(), 0) == 0);
}

TEST_CASE("removing a tree does not follow its symlinks", "[kernel][image][builder]") {
  TempDir d;
  writeFile(d.path() / "outside/keep.txt", "keep");
  writeFile(d.path() / "tree/a/b/file", "x");
  fs::create_directory_symlink(d.path() / "outside", d.path() / "tree/a/link");
  CHECK(removeTree((d.path() / "tree").string()).empty());
  CHECK_FALSE(fs::exists(d.path() / "tree"));
  CHECK(readFile(d.path() / "outside/keep.txt") == "keep");
  CHECK(removeTree((d.path() / "tree").string()).empty());
}

TEST_CASE("removing a tree first unmounts what a killed debootstrap left mounted in it", "[kernel][image][builder]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot mount a tmpfs to test with");
    return;
  }
  TempDir d;
  fs::create_directories(d.path() / "tree/root/proc");
  REQUIRE(::mount("none", (d.path() / "tree/root/proc").c_str(), "tmpfs", 0, "size=1m") == 0);
  writeFile(d.path() / "tree/root/proc/inside", "x");
  CHECK(removeTree((d.path() / "tree").string()).empty());
  CHECK_FALSE(fs::exists(d.path() / "tree"));
}
