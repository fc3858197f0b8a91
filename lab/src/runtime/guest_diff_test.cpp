// The guest diff on small ext4 images made here: a base from a directory (mkfs.ext4 -d), a
// "guest" copy changed with debugfs -w (and one file's block rewritten in place), and a COW file
// written by the test in UML's format holding exactly the sectors that differ. So the io_manager,
// the fast path (same inode, untouched blocks) and the slow path (new inodes, changed inodes)
// all run without a guest.
#include "umlab/lab/runtime/guest_diff.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/kernel/cow_file.hpp"
#include "umlab/kernel/merged_disk.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <utime.h>

using namespace umlab::lab::runtime;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// Runs a tool; returns its output, REQUIREs success.
std::string tool(const std::vector<std::string>& argv, const std::string& input = "") {
  std::string out;
  umlab::Command c;
  c.argv = argv;
  c.input = input;
  const umlab::CommandResult r = umlab::runCommand(c, {[&](std::string_view l) { out += std::string(l) + "\n"; }});
  INFO(c.display() << "\n" << out);
  REQUIRE(r.isSuccess());
  return out;
}

/// A COW over `base` holding every sector where `changed` differs from it.
void writeCowOfDifference(const std::string& base, const std::string& changed, const std::string& cow) {
  struct stat st {};
  REQUIRE(::stat(base.c_str(), &st) == 0);
  const std::string header = umlab::kernel::makeCowHeaderV3(base, st.st_size, static_cast<uint32_t>(st.st_mtime));
  const umlab::kernel::CowLayout l = umlab::kernel::cowLayout(*umlab::kernel::parseCowHeader(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(header.data()), header.size())));
  const std::string a = readFile(base), b = readFile(changed);
  REQUIRE(a.size() == b.size());
  std::string bitmap(l.bitmapSize, '\0');
  std::ofstream out(cow, std::ios::binary);
  out << header;
  for (uint64_t s = 0; s < l.sectorCount; ++s) {
    if (a.compare(s * 512, 512, b, s * 512, 512) == 0)
      continue;
    bitmap[s / 8] = static_cast<char>(bitmap[s / 8] | 1 << (s % 8));
    out.seekp(static_cast<std::streamoff>(l.dataOffset + s * 512));
    out.write(b.data() + s * 512, 512);
  }
  out.seekp(static_cast<std::streamoff>(l.bitmapOffset));
  out << bitmap;
}

bool hasTools() {
  return umlab::findExecutable("mkfs.ext4") && umlab::findExecutable("debugfs") && umlab::findExecutable("diff");
}

/// The base tree and image, and a changed copy turned into a COW file.
struct Images {
  TempDir dir{"umlab-guest-diff"};
  std::string base = dir.file("base.img"), guest = dir.file("guest.img"), cow = dir.file("node.cow");

  Images() {
    const fs::path tree = dir.path() / "tree";
    writeFile(tree / "etc/hosts", "127.0.0.1 localhost\n");
    writeFile(tree / "etc/motd", "Welcome to the lab.\n");
    writeFile(tree / "etc/issue.net", "Debian GNU/Linux 12\n");
    writeFile(tree / "etc/mode-file", "m\n");
    writeFile(tree / "etc/owner-file", "o\n");
    writeFile(tree / "usr/bin/tool", std::string("\x7f" "ELF\0\0\1binary", 14));
    std::string big;
    for (int i = 0; i < 40000; ++i)
      big += "line " + std::to_string(i) + " of a file large enough for several extents\n";
    writeFile(tree / "usr/share/doc/big", big);
    writeFile(tree / "var/log/boot.log", "booted\n");
    writeFile(tree / "srv/dir/a", "a\n");
    writeFile(tree / "srv/dir/b", "b\n");
    fs::create_directories(tree / "root");
    fs::create_directories(tree / "opt");
    fs::create_symlink("/etc/hosts", tree / "link");
    tool({"mkfs.ext4", "-q", "-F", "-d", tree.string(), base, "16M"});
    struct utimbuf t {1600000000, 1600000000};
    ::utime(base.c_str(), &t);
    fs::copy_file(base, guest);
    writeFile(dir.path() / "new.txt", "made in the guest\n");
    writeFile(dir.path() / "hosts", "127.0.0.1 localhost\n10.0.0.1 router\n");
    writeFile(dir.path() / "tool", std::string("\x7f" "ELF\0\0\2binary!", 15));
    writeFile(dir.path() / "x", "x\n");
    const std::string d = dir.path().string();
    tool({"debugfs", "-w", "-f", "-", guest},
         "cd /root\nwrite " + d + "/new.txt new.txt\n"
         "rm /etc/issue.net\n"
         "rm /etc/hosts\ncd /etc\nwrite " + d + "/hosts hosts\n"
         "rm /usr/bin/tool\ncd /usr/bin\nwrite " + d + "/tool tool\n"
         "set_inode_field /etc/mode-file mode 0100600\n"
         "set_inode_field /etc/owner-file uid 1000\n"
         "set_inode_field /usr/share/doc/big mtime 20200101\n"
         "mkdir /opt/newdir\ncd /opt/newdir\nwrite " + d + "/x x\n"
         "rm /srv/dir/a\nrm /srv/dir/b\nrmdir /srv/dir\n"
         "cd /\nrm /link\nsymlink link /etc/motd\n"
         "rm /var/log/boot.log\n");
    // /etc/motd changed in place: same inode, same size, its data block rewritten.
    // (debugfs prints its banner first; the merged output's last line is the answer)
    const std::string blocks = tool({"debugfs", "-R", "blocks /etc/motd", guest});
    const uint64_t block = std::stoull(blocks.substr(blocks.rfind('\n', blocks.size() - 2) + 1));
    const std::string stats = tool({"dumpe2fs", "-h", guest});
    const size_t at = stats.find("Block size:");
    REQUIRE(at != std::string::npos);
    const uint64_t blockSize = std::stoull(stats.substr(at + 11));
    std::fstream f(guest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(block * blockSize));
    f << "Welcome to my lab!\n";
    f.close();
    writeCowOfDifference(base, guest, cow);
  }
};

} // namespace

TEST_CASE("the guest diff lists what a changed copy of an ext4 image added, changed and removed",
          "[lab][diff]") {
  if (!hasTools()) {
    WARN("SKIPPED: mkfs.ext4, debugfs (e2fsprogs) or diff (diffutils) is missing");
    return;
  }
  Images images;
  DiffOptions options;
  options.ignore = defaultIgnores();
  const GuestDiff d = diffGuest(images.cow, "", options);
  CHECK(d.added == std::vector<std::string>{"/opt/newdir/", "/root/new.txt"});
  CHECK(d.removed == std::vector<std::string>{"/etc/issue.net", "/srv/dir/"});
  CHECK(d.changed == std::vector<ChangedFile>{{"/etc/hosts", {"content"}},
                                              {"/etc/mode-file", {"mode"}},
                                              {"/etc/motd", {"content"}},
                                              {"/etc/owner-file", {"owner"}},
                                              {"/link", {"target"}},
                                              {"/usr/bin/tool", {"content"}}});
  CHECK(d.warnings.empty());
  CHECK(d.cowBytes > 0);
  // Most entries were told unchanged without reading their content (the big file only had its
  // inode's time changed: read, found equal, not listed).
  CHECK(d.contentsCompared <= 4);
  CHECK(renderGuestDiffText(d) == "M /etc/hosts (content)\n"
                                  "D /etc/issue.net\n"
                                  "M /etc/mode-file (mode)\n"
                                  "M /etc/motd (content)\n"
                                  "M /etc/owner-file (owner)\n"
                                  "M /link (target)\n"
                                  "A /opt/newdir/\n"
                                  "A /root/new.txt\n"
                                  "D /srv/dir/\n"
                                  "M /usr/bin/tool (content)\n");
  const std::string json = guestDiffJson(d, "lab1", "pc1");
  CHECK(json.find("\"lab\": \"lab1\"") != std::string::npos);
  CHECK(json.find("\"path\": \"/etc/mode-file\"") != std::string::npos);

  SECTION("--all lists what is below added and removed directories; no ignores shows the log") {
    DiffOptions all;
    all.expandDirectories = true;
    const GuestDiff e = diffGuest(images.cow, images.base, all);
    CHECK(e.added == std::vector<std::string>{"/opt/newdir/", "/opt/newdir/x", "/root/new.txt"});
    CHECK(e.removed ==
          std::vector<std::string>{"/etc/issue.net", "/srv/dir/", "/srv/dir/a", "/srv/dir/b", "/var/log/boot.log"});
  }
  SECTION("an ignore glob hides a path and everything below it") {
    DiffOptions some;
    some.ignore = {"/etc/*", "/opt", "*.txt"};
    const GuestDiff e = diffGuest(images.cow, "", some);
    CHECK(e.added.empty());
    CHECK(e.removed == std::vector<std::string>{"/srv/dir/", "/var/log/boot.log"});
    CHECK(e.changed == std::vector<ChangedFile>{{"/link", {"target"}}, {"/usr/bin/tool", {"content"}}});
  }
}

TEST_CASE("the content of one file is shown as a unified diff, or as sizes and hashes when binary",
          "[lab][diff]") {
  if (!hasTools()) {
    WARN("SKIPPED: mkfs.ext4, debugfs (e2fsprogs) or diff (diffutils) is missing");
    return;
  }
  Images images;
  const FileVersions hosts = readFileVersions(images.cow, "", "/etc/hosts");
  CHECK(hosts.base == "127.0.0.1 localhost\n");
  CHECK(hosts.guest == "127.0.0.1 localhost\n10.0.0.1 router\n");
  CHECK(renderContentDiff(hosts) == "--- a/etc/hosts\n+++ b/etc/hosts\n@@ -1 +1,2 @@\n 127.0.0.1 localhost\n+10.0.0.1 router\n");
  const FileVersions motd = readFileVersions(images.cow, "", "/etc/motd");
  CHECK(renderContentDiff(motd).find("-Welcome to the lab.\n+Welcome to my lab!\n") != std::string::npos);
  const FileVersions added = readFileVersions(images.cow, "", "/root/new.txt");
  CHECK_FALSE(added.base);
  CHECK(renderContentDiff(added).find("--- /dev/null\n+++ b/root/new.txt\n") == 0);
  const std::string binary = renderContentDiff(readFileVersions(images.cow, "", "/usr/bin/tool"));
  CHECK(binary.rfind("binary file /usr/bin/tool: base 14 bytes, sha256 ", 0) == 0);
  CHECK(binary.find("; guest 15 bytes, sha256 ") != std::string::npos);
  CHECK(renderContentDiff(readFileVersions(images.cow, "", "/usr/share/doc/big")).empty());
  const FileVersions none = readFileVersions(images.cow, "", "/no/such/file");
  CHECK_FALSE(none.base);
  CHECK_FALSE(none.guest);
}

TEST_CASE("a COW that holds nothing is its base, and a COW over a changed base is refused", "[lab][diff]") {
  if (!hasTools()) {
    WARN("SKIPPED: mkfs.ext4 or debugfs (e2fsprogs) is missing");
    return;
  }
  Images images;
  const std::string empty = images.dir.file("empty.cow");
  writeCowOfDifference(images.base, images.base, empty);
  const GuestDiff d = diffGuest(empty, "", {});
  CHECK(d.added.empty());
  CHECK(d.changed.empty());
  CHECK(d.removed.empty());
  CHECK(d.cowBytes == 0);
  struct utimbuf t {1600000100, 1600000100};
  ::utime(images.base.c_str(), &t);
  CHECK_THROWS_WITH(diffGuest(images.cow, "", {}), Catch::Contains("the base changed"));
  CHECK_THROWS_WITH(diffGuest(images.dir.file("nothing.cow"), "", {}), Catch::Contains("cannot read COW file"));
}
