// Saved labs and archives with real guests (issue 18): `umlab save` keeps what a guest wrote
// and stops every process, `umlab resume` boots it again; `umlab archive` moves a lab to another
// state and data directory; an archive of another base image build, or with a member that would
// land outside the lab, is refused before anything is unpacked. Times and sizes are printed on
// stderr (ctest -V shows them).
#include "runtime_lab.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

using namespace umlab::test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

const char* kPair = R"(name: NAME
nodes:
  a: {}
  b: {}
segments:
  lan: {type: switch}
links:
  - {endpoints: [a:eth0, lan], ip: 10.8.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.8.0.2/24}
)";

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// $UMLAB_DATA_DIR set to a fresh directory for the test's `umlab` runs, restored (and the
/// directory removed) at the end.
class DataDir {
public:
  DataDir() : dir_("umlab-rt-data") {
    const char* old = std::getenv("UMLAB_DATA_DIR");
    if (old)
      old_ = old;
    use(dir_.path().string());
  }
  ~DataDir() { old_ ? ::setenv("UMLAB_DATA_DIR", old_->c_str(), 1) : ::unsetenv("UMLAB_DATA_DIR"); }
  void use(const std::string& d) const { ::setenv("UMLAB_DATA_DIR", d.c_str(), 1); }
  std::string path() const { return dir_.path().string(); }
  std::string saved(const std::string& lab) const { return path() + "/saved/" + lab; }

private:
  umlab::TempDir dir_;
  std::optional<std::string> old_;
};

/// The processes whose command line names `needle` (a lab's state directory).
int processesNaming(const std::string& needle) {
  int n = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    const std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos)
      ++n;
  }
  if (proc)
    ::closedir(proc);
  return n;
}

/// Repacks the archive `from` into `to` after `edit` changed its unpacked tree (in `dir`).
void repack(const std::string& from, const std::string& to, const std::string& dir,
            const std::function<void(const std::string&)>& edit, const std::vector<std::string>& members) {
  fs::create_directories(dir);
  REQUIRE(runProcess({"/usr/bin/tar", "--zstd", "-xf", from, "-C", dir}).status == 0);
  edit(dir);
  std::vector<std::string> argv{"/usr/bin/tar", "--format=gnu", "--sparse", "--zstd", "-cf", to, "-C", dir};
  argv.insert(argv.end(), members.begin(), members.end());
  REQUIRE(runProcess(argv).status == 0);
}

} // namespace

TEST_CASE("save keeps what a guest wrote and stops the lab, and resume boots it again with it", "[runtime][guests][save]") {
  REQUIRE_RUNTIME();
  DataDir data;
  Lab lab("rt-save", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(lab.exec("a", {"sh", "-c", "echo written-before-the-save > /root/note"}).status == 0);
  REQUIRE(lab.exec("a", {"ping", "-c", "2", "-W", "2", "10.8.0.2"}).status == 0); // frames for the ring

  auto t = Clock::now();
  ProcessResult save = run({"save", "rt-save"});
  const double saveSeconds = secondsSince(t);
  REQUIRE(save.status == 0);
  CHECK(save.out.find("lab 'rt-save' is saved in " + data.saved("rt-save")) != std::string::npos);
  CHECK(save.out.find("segment lan: ") != std::string::npos);
  // Nothing of the lab runs, nothing of it is left in the state root; ps shows it saved.
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-save"));
  CHECK(processesNaming(stateRoot() + "/rt-save/") == 0);
  CHECK(fs::exists(data.saved("rt-save") + "/cow/a.cow"));
  CHECK(fs::exists(data.saved("rt-save") + "/nodes/a/config.img"));
  CHECK(fs::exists(data.saved("rt-save") + "/captures/ring-lan.pcap"));
  CHECK(fs::exists(data.saved("rt-save") + "/topology/lab.yaml"));
  ProcessResult ps = run({"ps", "--format", "json"});
  CHECK(ps.out.find("{\"lab\": \"rt-save\", \"stateDir\": \"" + data.saved("rt-save") + "\"") != std::string::npos);
  CHECK(ps.out.find("\"state\": \"saved\"") != std::string::npos);
  CHECK(ps.out.find("\"diskBytes\": ") != std::string::npos);
  CHECK(run({"ps", "rt-save"}).out.find("'umlab resume rt-save' boots it again") != std::string::npos);
  ProcessResult down = run({"down", "rt-save"});
  CHECK(down.status == 1);
  CHECK(down.err == "umlab: error: lab 'rt-save' is saved, not running; 'umlab resume rt-save' boots it, 'umlab down "
                    "--saved rt-save' deletes it\n");
  // A second save of the same name is refused while the first is kept.
  CHECK(run({"save", "rt-save"}).status == 1);

  t = Clock::now();
  ProcessResult resume = run({"resume", "rt-save"});
  const double resumeSeconds = secondsSince(t);
  REQUIRE(resume.status == 0);
  CHECK(resume.out.find("lab 'rt-save' is up again: 2 guests ready in ") != std::string::npos);
  CHECK(lab.exec("a", {"cat", "/root/note"}).out == "written-before-the-save\n");
  CHECK(lab.exec("a", {"ping", "-c", "1", "-W", "5", "10.8.0.2"}).status == 0);
  CHECK_FALSE(fs::exists(data.saved("rt-save")));           // removed once up
  CHECK(fs::exists(stateRoot() + "/rt-save/captures/ring-lan.pcap")); // the ring came back as a file
  CHECK(run({"ps", "rt-save"}).out.find("ready") != std::string::npos);
  std::fprintf(stderr, "save/resume (2 guests): save %.2f s, resume %.2f s\n", saveSeconds, resumeSeconds);
}

TEST_CASE("an archive moves a lab to another state and data directory, where it boots with its disks",
          "[runtime][guests][save][archive]") {
  REQUIRE_RUNTIME();
  DataDir data;
  umlab::TempDir other("umlab-rt-other");
  const std::string otherState = other.file("state"), otherData = other.file("data");
  Lab lab("rt-arch", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(lab.exec("b", {"sh", "-c", "echo carried-in-the-archive > /root/note"}).status == 0);
  ProcessResult refused = run({"archive", "rt-arch", "-o", other.file("x.umlab")});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("lab 'rt-arch' is running; an archive is made of a saved lab") != std::string::npos);

  auto t = Clock::now();
  ProcessResult archive = run({"archive", "rt-arch", "--save", "-o", other.file("rt-arch.umlab")});
  const double archiveSeconds = secondsSince(t);
  REQUIRE(archive.status == 0);
  CHECK(fs::exists(data.saved("rt-arch"))); // the saved lab is kept
  const uintmax_t size = fs::file_size(other.file("rt-arch.umlab"));
  CHECK(size < 64u * 1024 * 1024); // sparse: nothing like 2 GiB of COW files

  data.use(otherData);
  struct DownMoved {
    std::string root;
    ~DownMoved() { runProcess({umlabBin(), "down", "--state-dir", root, "rt-moved"}, std::chrono::seconds(60)); }
  } downMoved{otherState};
  t = Clock::now();
  ProcessResult up = run({"up", "--state-dir", otherState, "--name", "rt-moved", other.file("rt-arch.umlab")});
  const double upSeconds = secondsSince(t);
  REQUIRE(up.status == 0);
  CHECK(up.out.find("image debian: recipe hash ") != std::string::npos);
  CHECK(run({"exec", "--state-dir", otherState, "rt-moved", "b", "--", "cat", "/root/note"}).out ==
        "carried-in-the-archive\n");
  CHECK(run({"exec", "--state-dir", otherState, "rt-moved", "a", "--", "ping", "-c", "1", "-W", "5", "10.8.0.2"}).status == 0);
  CHECK(fs::exists(otherState + "/rt-moved/captures"));
  CHECK_FALSE(fs::exists(otherData + "/saved/rt-moved"));
  CHECK(run({"down", "--state-dir", otherState, "rt-moved"}).status == 0);
  CHECK(processesNaming(otherState + "/rt-moved/") == 0);
  std::fprintf(stderr, "archive (2 guests): %ju bytes, archive %.2f s, up FILE.umlab %.2f s\n", size, archiveSeconds,
               upSeconds);
  data.use(data.path());
  CHECK(run({"down", "--saved", "rt-arch"}).status == 0);
}

/// $NAME set to `value` for the test's `umlab` runs, restored at the end.
class EnvVar {
public:
  EnvVar(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvVar() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("an archive that carries its base image runs where the image was never built",
          "[runtime][guests][save][archive]") {
  REQUIRE_RUNTIME();
  DataDir data;
  umlab::TempDir work("umlab-rt-withbase");
  // "This machine": an image cache holding a copy of the debian build, and nothing else.
  const char* cache = std::getenv("UMLAB_CACHE_DIR");
  const char* home = std::getenv("HOME");
  const fs::path build =
      fs::canonical((cache ? std::string(cache) : std::string(home ? home : "/root") + "/.cache/umlab") + "/images/debian");
  const std::string here = work.file("here"), there = work.file("there");
  fs::create_directories(here + "/images/" + build.filename().string());
  for (const char* f : {"rootfs.img", "recipe.txt"})
    REQUIRE(runProcess({"/usr/bin/cp", "-a", "--sparse=always", (build / f).string(),
                        here + "/images/" + build.filename().string() + "/" + f}).status == 0);
  fs::create_directory_symlink(build.filename(), here + "/images/debian");
  std::optional<EnvVar> cacheHere(std::in_place, "UMLAB_CACHE_DIR", here);
  EnvVar noSystemImages("UMLAB_SYSTEM_IMAGES", work.file("none"));

  Lab lab("rt-wbase", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(lab.exec("a", {"sh", "-c", "echo travelled-with-its-base > /root/note"}).status == 0);
  auto t = Clock::now();
  ProcessResult archive = run({"archive", "rt-wbase", "--save", "--with-base", "-o", work.file("rt-wbase.umlab")});
  const double archiveSeconds = secondsSince(t);
  REQUIRE(archive.status == 0);
  CHECK(archive.out.find("boots it on any machine (its base image builds are in it)") != std::string::npos);
  REQUIRE(run({"down", "--saved", "rt-wbase"}).status == 0);
  const uintmax_t size = fs::file_size(work.file("rt-wbase.umlab"));

  // "Another machine": that build is gone, and the image cache there is empty.
  fs::remove_all(here);
  cacheHere.reset();
  EnvVar cacheThere("UMLAB_CACHE_DIR", there);
  t = Clock::now();
  ProcessResult up = run({"up", work.file("rt-wbase.umlab")});
  const double upSeconds = secondsSince(t);
  REQUIRE(up.status == 0);
  CHECK(up.out.find("image debian: build " + build.filename().string() + " comes with the archive") != std::string::npos);
  CHECK(lab.exec("a", {"cat", "/root/note"}).out == "travelled-with-its-base\n");
  CHECK(fs::exists(there + "/images/" + build.filename().string() + "/rootfs.img"));
  CHECK(fs::read_symlink(there + "/images/debian") == build.filename()); // its default build now
  CHECK(run({"image", "ls"}).out.find("debian        -             " + build.filename().string().substr(7) + "  yes") !=
        std::string::npos);
  CHECK(run({"down", "rt-wbase"}).status == 0);
  std::fprintf(stderr, "archive with its base (2 guests): %ju bytes, archive %.2f s, up FILE.umlab %.2f s\n", size,
               archiveSeconds, upSeconds);
}

TEST_CASE("an archive made on another base image build is refused, saying which, before anything is unpacked",
          "[runtime][guests][save][archive]") {
  REQUIRE_RUNTIME();
  DataDir data;
  umlab::TempDir work("umlab-rt-mismatch");
  Lab lab("rt-mism", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(run({"archive", "--save", "rt-mism", "-o", work.file("good.umlab")}).status == 0);
  REQUIRE(run({"down", "--saved", "rt-mism"}).status == 0);
  std::string hash;
  repack(work.file("good.umlab"), work.file("bad.umlab"), work.file("tree"),
         [&](const std::string& dir) {
           std::ifstream in(dir + "/manifest.json");
           std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
           const size_t at = text.find("\"recipeHash\": \"");
           REQUIRE(at != std::string::npos);
           hash = text.substr(at + 15, 16);
           for (size_t p; (p = text.find(hash)) != std::string::npos;)
             text.replace(p, hash.size(), "0123456789abcdef");
           std::ofstream(dir + "/manifest.json") << text;
         },
         {"manifest.json", "plan.json", "topology", "nodes", "captures", "cow"});
  ProcessResult up = run({"up", work.file("bad.umlab")});
  CHECK(up.status == 1);
  CHECK(up.err.find("umlab: error: image 'debian': the lab's disks were made on the build of recipe hash "
                    "0123456789abcdef") != std::string::npos);
  CHECK(up.err.find("this host has recipe hash " + hash) != std::string::npos);
  CHECK(up.err.find("'umlab image build' would make a new build") != std::string::npos);
  CHECK_FALSE(fs::exists(data.saved("rt-mism")));
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-mism"));
}

TEST_CASE("an archive with a link or an absolute path is refused before anything is unpacked",
          "[runtime][save][archive]") {
  if (::access("/usr/bin/zstd", X_OK) != 0) {
    WARN("SKIPPED: zstd is not installed");
    return;
  }
  DataDir data;
  umlab::TempDir work("umlab-rt-hostile");
  const std::string tree = work.file("tree");
  fs::create_directories(tree + "/captures");
  std::ofstream(tree + "/manifest.json")
      << R"({"format": "umlab-archive", "formatVersion": 1, "lab": "evil", "umlabVersion": "umlab 0.1.0", "created": 1,
             "savedTime": 1, "nodes": [], "images": [], "captures": []})";
  std::ofstream(tree + "/plan.json") << "{}";
  fs::create_directory_symlink("/etc", tree + "/cow");
  auto pack = [&](const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> argv{"/usr/bin/tar", "--zstd", "-cf", work.file(file), "-C", tree, "manifest.json", "plan.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    REQUIRE(runProcess(argv).status == 0);
  };
  pack("link.umlab", {"cow"});
  ProcessResult link = run({"up", work.file("link.umlab")});
  CHECK(link.status == 1);
  CHECK(link.err.find("archive member 'cow' is not a regular file or a directory (type 'l')") != std::string::npos);
  CHECK(link.err.find("nothing was unpacked") != std::string::npos);

  std::ofstream(work.file("passwd")) << "x";
  REQUIRE(runProcess({"/usr/bin/tar", "--zstd", "-cf", work.file("abs.umlab"), "-C", tree, "manifest.json", "-P",
                      work.file("passwd")})
              .status == 0);
  ProcessResult abs = run({"up", work.file("abs.umlab")});
  CHECK(abs.status == 1);
  CHECK(abs.err.find("has an absolute path") != std::string::npos);

  CHECK_FALSE(fs::exists(data.saved("evil")));
  CHECK((fs::is_empty(data.path()) || fs::is_empty(data.path() + "/saved")));
}
