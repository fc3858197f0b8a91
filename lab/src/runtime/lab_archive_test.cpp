#include "umlab/lab/runtime/lab_archive.hpp"

#include <catch2/catch.hpp>

using namespace umlab::lab::runtime;

namespace {
ArchiveManifest sample() {
  ArchiveManifest m;
  m.lab = "lan";
  m.umlabVersion = "umlab 0.1.0";
  m.created = 1796334100;
  m.savedTime = 1796334000;
  m.nodes = {{"pc1", "debian", 1073754112, 4718592}, {"pc2", "debian", 1073754112, 4456448}};
  m.images = {{"debian", "602008a461a27fc0", "/root/.cache/umlab/images/debian-602008a461a27fc0/rootfs.img", 1073741824,
               "0123456789abcdef0123456789abcdef"}};
  m.captures = {"ring-sw.pcap"};
  m.timelineMs = 12500;
  m.bases = {"debian-602008a461a27fc0"};
  return m;
}
} // namespace

TEST_CASE("an archive manifest reads back what was written", "[runtime][archive]") {
  const std::string text = archiveManifestJson(sample());
  CHECK(text.starts_with("{\n  \"format\": \"umlab-archive\",\n  \"formatVersion\": 1,\n  \"lab\": \"lan\""));
  std::string error;
  auto back = readArchiveManifest(text, error);
  REQUIRE(back);
  CHECK(*back == sample());
}

TEST_CASE("an archive manifest of another format, version or shape is refused, naming the field", "[runtime][archive]") {
  std::string error;
  std::string text = archiveManifestJson(sample());
  std::string other = text;
  other.replace(other.find("\"formatVersion\": 1"), 18, "\"formatVersion\": 2");
  CHECK_FALSE(readArchiveManifest(other, error));
  CHECK(error == "formatVersion: 2, but this umlab reads version 1 (an archive of another umlab version)");
  other = text;
  other.replace(other.find("umlab-archive"), 13, "something-else");
  CHECK_FALSE(readArchiveManifest(other, error));
  CHECK(error == "format: not 'umlab-archive' (this is not a umlab archive)");
  other = text;
  other.replace(other.find("\"recipeHash\""), 12, "\"recipe\"");
  CHECK_FALSE(readArchiveManifest(other, error));
  CHECK(error == "images[0].recipeHash: missing or not a string");
  CHECK_FALSE(readArchiveManifest("{", error));
  other = text;
  other.replace(other.find("\"debian-602008a461a27fc0\""), 25, "\"../etc\"");
  CHECK_FALSE(readArchiveManifest(other, error));
  CHECK(error == "bases: not a list of image build names");
}

TEST_CASE("the members a saved lab has are accepted", "[runtime][archive]") {
  for (const ArchiveEntry& e : {ArchiveEntry{'-', "manifest.json"}, ArchiveEntry{'-', "plan.json"},
                                ArchiveEntry{'d', "topology/"}, ArchiveEntry{'-', "topology/lan.yaml"},
                                ArchiveEntry{'d', "nodes/"}, ArchiveEntry{'d', "nodes/pc1/"},
                                ArchiveEntry{'-', "nodes/pc1/config.img"}, ArchiveEntry{'d', "captures/"},
                                ArchiveEntry{'-', "captures/ring-p2p.1.pcap"}, ArchiveEntry{'d', "cow/"},
                                ArchiveEntry{'-', "cow/web_1.cow"},
                                ArchiveEntry{'-', "images/debian-602008a461a27fc0/rootfs.img"},
                                ArchiveEntry{'-', "images/debian-602008a461a27fc0/recipe.txt"}}) {
    INFO(e.name);
    CHECK_FALSE(checkArchiveEntry(e));
  }
}

TEST_CASE("absolute paths, '..', links and names umlab does not write are refused", "[runtime][archive]") {
  CHECK(checkArchiveEntry({'-', "/etc/passwd"}) == "archive member '/etc/passwd' has an absolute path");
  CHECK(checkArchiveEntry({'-', "cow/../../etc/passwd"}) == "archive member 'cow/../../etc/passwd' climbs out of the archive ('..')");
  CHECK(checkArchiveEntry({'-', "../x.cow"}) == "archive member '../x.cow' climbs out of the archive ('..')");
  CHECK(checkArchiveEntry({'l', "cow/pc1.cow"}) ==
        "archive member 'cow/pc1.cow' is not a regular file or a directory (type 'l'); a umlab archive holds nothing else");
  CHECK(checkArchiveEntry({'h', "plan.json"})->find("type 'h'") != std::string::npos);
  CHECK(checkArchiveEntry({'d', "cow"}) == std::nullopt);
  CHECK(checkArchiveEntry({'l', "cow"})->find("type 'l'") != std::string::npos); // a link in place of a directory
  CHECK(checkArchiveEntry({'-', "cow//pc1.cow"}) == "archive member 'cow//pc1.cow' has a name umlab does not write");
  CHECK(checkArchiveEntry({'-', "cow/pc1.img"})->find("is not part of a saved lab") != std::string::npos);
  CHECK(checkArchiveEntry({'-', "nodes/pc1/other"})->find("is not part of a saved lab") != std::string::npos);
  CHECK(checkArchiveEntry({'-', "etc/passwd"})->find("is not part of a saved lab") != std::string::npos);
  CHECK(checkArchiveEntry({'-', "cow/a b.cow"}) == "archive member 'cow/a b.cow' has a name umlab does not write");
  CHECK(checkArchiveEntry({'-', "./plan.json"}) == "archive member './plan.json' has a name umlab does not write");
  CHECK(checkArchiveEntry({'-', ""}) == "an archive member has no name");
  CHECK(checkArchiveEntry({'-', "images/debian/other"})->find("is not part of a saved lab") != std::string::npos);
  CHECK(checkArchiveEntry({'d', "images/../x"})->find("climbs out") != std::string::npos);
}

TEST_CASE("tar's verbose listing is read as type and name, and anything else is not a member", "[runtime][archive]") {
  auto e = parseTarListing("-rw------- 0/0      1074012160 2026-12-03 21:38 cow/pc1.cow");
  REQUIRE(e);
  CHECK(e->type == '-');
  CHECK(e->name == "cow/pc1.cow");
  e = parseTarListing("drwx------ 0/0               0 2026-12-03 21:38 nodes/pc2/");
  REQUIRE(e);
  CHECK(e->type == 'd');
  CHECK(e->name == "nodes/pc2/");
  e = parseTarListing("lrwxrwxrwx 0/0               0 2026-12-03 21:38 cow -> /etc");
  REQUIRE(e);
  CHECK(e->type == 'l');
  CHECK(e->name == "cow");
  CHECK(parseTarListing("hrw-r--r-- 0/0               0 2026-12-03 21:38 plan.json link to manifest.json")->name ==
        "plan.json");
  CHECK(checkArchiveEntry(*e)->find("type 'l'") != std::string::npos);
  e = parseTarListing("-rw-r--r-- 0/0               5 2026-12-03 21:38 a name with spaces");
  REQUIRE(e);
  CHECK(e->name == "a name with spaces");
  CHECK_FALSE(parseTarListing("tar: Removing leading `/' from member names"));
  CHECK_FALSE(parseTarListing("tar: A lone zero block at 42"));
  CHECK_FALSE(parseTarListing(""));
  CHECK_FALSE(parseTarListing("-rw-r--r-- 0/0 5 2026-12-03 21:38"));
}
