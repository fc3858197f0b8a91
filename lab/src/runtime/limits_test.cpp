#include "umlab/lab/runtime/limits.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

using namespace umlab;
using namespace umlab::lab::runtime;

namespace {

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;
const char* const kFile = "/etc/umlab/limits.yaml";

struct Loaded {
  SourceManager sources;
  Diagnostics diags;
  std::optional<Limits> limits;
  std::string text() const {
    std::ostringstream out;
    renderDiagnostics(diags, out);
    return out.str();
  }
};

std::unique_ptr<Loaded> load(const std::string& yaml) {
  auto l = std::make_unique<Loaded>();
  l->limits = loadLimitsText(kFile, yaml, l->sources, l->diags);
  return l;
}

const char* const kExample = R"(# /etc/umlab/limits.yaml
default: {max-guests: 20, max-memory: 4G}
groups:
  students: {max-guests: 12, max-memory: 2G}
  teachers: {max-guests: 200, max-memory: unlimited}
  staff: {max-memory: 6G}
users:
  alice: {max-guests: 40, max-memory: 8G}
  bob: {max-guests: 5}
)";

Limits example() {
  auto l = load(kExample);
  INFO(l->text());
  REQUIRE(l->limits);
  REQUIRE(l->diags.all().empty());
  return *l->limits;
}

EffectiveLimits sample(std::optional<uint64_t> guests, std::optional<uint64_t> memory) {
  EffectiveLimits e;
  e.user = "alice";
  e.maxGuests.amount = guests;
  e.maxGuests.text = guests ? std::to_string(*guests) : "unlimited";
  e.maxGuests.source = "users.alice";
  e.maxGuests.file = kFile;
  e.maxMemory.amount = memory;
  e.maxMemory.text = memory ? formatLimitSize(*memory) : "unlimited";
  e.maxMemory.source = "default";
  e.maxMemory.file = kFile;
  return e;
}

} // namespace

TEST_CASE("a limits file reads default, groups and users with their places", "[lab][limits]") {
  const Limits l = example();
  CHECK(l.exists);
  CHECK(l.path == kFile);
  REQUIRE(l.defaults);
  CHECK(l.defaults->source == "default");
  CHECK(l.defaults->line == 2);
  CHECK(l.defaults->maxGuests == LimitValue{20, "20", 2, 23});
  CHECK(l.defaults->maxMemory == LimitValue{4 * kGiB, "4G", 2, 39});
  REQUIRE(l.groups.size() == 3);
  CHECK(l.groups[0].name == "students");
  CHECK(l.groups[0].source == "groups.students");
  CHECK(l.groups[0].maxMemory->amount == 2 * kGiB);
  CHECK(l.groups[1].maxMemory->text == "unlimited");
  CHECK_FALSE(l.groups[1].maxMemory->amount);
  CHECK_FALSE(l.groups[2].maxGuests);
  REQUIRE(l.users.size() == 2);
  CHECK(l.users[0].source == "users.alice");
  CHECK(l.users[0].line == 8);
  CHECK(l.users[0].maxGuests->amount == 40);
  CHECK_FALSE(l.users[1].maxMemory);
}

TEST_CASE("bad limits files get every error at file:line:col with suggestions", "[lab][limits]") {
  auto l = load(R"(defaults: {max-guests: 20}
groups:
  students: {max-gusts: 12, max-memroy: 2G}
  staff: {max-guests: 0, max-memory: 4X}
  lab: {max-guests: -3, max-memory: 16M}
  ops: {max-guests: lots, max-memory: {size: 4G}}
users:
  bob: 12
  carol: {max-guests: [1, 2]}
)");
  CHECK_FALSE(l->limits);
  CHECK(l->text() == R"(/etc/umlab/limits.yaml:1:1: error: unknown key 'defaults' in the limits file; did you mean 'default'? (keys: default, groups, users)
defaults: {max-guests: 20}
^
/etc/umlab/limits.yaml:3:14: error: unknown key 'max-gusts' in 'groups.students'; did you mean 'max-guests'? (keys: max-guests, max-memory)
  students: {max-gusts: 12, max-memroy: 2G}
             ^
/etc/umlab/limits.yaml:3:29: error: unknown key 'max-memroy' in 'groups.students'; did you mean 'max-memory'? (keys: max-guests, max-memory)
  students: {max-gusts: 12, max-memroy: 2G}
                            ^
/etc/umlab/limits.yaml:4:23: error: max-guests '0' of 'groups.staff' is not a number of guests from 1 up; write a count such as '20', or 'unlimited'
  staff: {max-guests: 0, max-memory: 4X}
                      ^
/etc/umlab/limits.yaml:4:38: error: max-memory '4X' of 'groups.staff' is not a size; write a number with K, M or G, as in '4G', or 'unlimited'
  staff: {max-guests: 0, max-memory: 4X}
                                     ^
/etc/umlab/limits.yaml:5:21: error: max-guests '-3' of 'groups.lab' is not a number of guests from 1 up; write a count such as '20', or 'unlimited'
  lab: {max-guests: -3, max-memory: 16M}
                    ^
/etc/umlab/limits.yaml:5:37: error: max-memory '16M' of 'groups.lab' is below 64M, the memory of the smallest guest; write a size such as '4G', or 'unlimited'
  lab: {max-guests: -3, max-memory: 16M}
                                    ^
/etc/umlab/limits.yaml:6:21: error: max-guests 'lots' of 'groups.ops' is not a number of guests from 1 up; write a count such as '20', or 'unlimited'
  ops: {max-guests: lots, max-memory: {size: 4G}}
                    ^
/etc/umlab/limits.yaml:6:39: error: 'max-memory' of 'groups.ops' must be a size such as '4G', or 'unlimited', not a mapping
  ops: {max-guests: lots, max-memory: {size: 4G}}
                                      ^
/etc/umlab/limits.yaml:8:8: error: 'users.bob' takes a mapping such as '{max-guests: 20, max-memory: 4G}', not a string
  bob: 12
       ^
/etc/umlab/limits.yaml:9:23: error: 'max-guests' of 'users.carol' must be a number of guests such as '20', or 'unlimited', not a list
  carol: {max-guests: [1, 2]}
                      ^
)");
}

TEST_CASE("a limits file is a mapping, and its groups and users are mappings", "[lab][limits]") {
  auto list = load("- max-guests: 20\n");
  INFO(list->text());
  CHECK_FALSE(list->limits);
  CHECK(list->text().rfind("/etc/umlab/limits.yaml:1:1: error: a limits file is a mapping with 'default', 'groups' "
                           "and 'users', not a list\n",
                           0) == 0);
  auto groups = load("groups: [students]\nusers: alice\n");
  INFO(groups->text());
  CHECK_FALSE(groups->limits);
  CHECK(groups->text().find("1:9: error: 'groups' maps group names to limits, such as 'students: {max-guests: 12}', "
                            "not a list") != std::string::npos);
  CHECK(groups->text().find("2:8: error: 'users' maps user names to limits, such as 'alice: {max-guests: 40}', not a "
                            "string") != std::string::npos);
}

TEST_CASE("limits files get the topology loader's syntax and duplicate-key errors", "[lab][limits]") {
  auto dup = load("users:\n  alice: {max-guests: 4}\n  alice: {max-guests: 5}\n");
  CHECK_FALSE(dup->limits);
  CHECK(dup->text().find("/etc/umlab/limits.yaml:3:3: error: duplicate key 'alice'") != std::string::npos);
  auto syntax = load("default: {max-guests: 20\n");
  CHECK_FALSE(syntax->limits);
  CHECK(syntax->text().rfind("/etc/umlab/limits.yaml:", 0) == 0);
  CHECK(syntax->text().find("error:") != std::string::npos);
}

TEST_CASE("an entry that sets no limit is a warning, not an error", "[lab][limits]") {
  auto l = load("default:\nusers:\n  alice: {}\ngroups:\n");
  REQUIRE(l->limits);
  CHECK(l->diags.warningCount() == 2);
  CHECK(l->text().find("/etc/umlab/limits.yaml:3:3: warning: 'users.alice' sets no limit, so it changes nothing; "
                       "give it one such as '{max-guests: 20}', or 'unlimited' to lift one") != std::string::npos);
  CHECK(l->text().find("1:1: warning: 'default' sets no limit") != std::string::npos);
  const EffectiveLimits e = limitsFor(*l->limits, "alice", {});
  CHECK_FALSE(e.maxGuests.isLimited());
  CHECK_FALSE(e.maxMemory.isLimited());
}

TEST_CASE("an empty limits file, or one of comments only, limits nobody", "[lab][limits]") {
  for (const char* text : {"", "\n  \n", "# default: {max-guests: 20}\n  # nothing yet\n"}) {
    auto l = load(text);
    INFO(l->text());
    REQUIRE(l->limits);
    CHECK(l->limits->exists);
    CHECK(l->diags.all().empty());
    CHECK_FALSE(limitsFor(*l->limits, "alice", {"students"}).maxGuests.isLimited());
  }
}

TEST_CASE("a missing limits file limits nobody and is not an error", "[lab][limits]") {
  TempDir dir;
  SourceManager sources;
  Diagnostics diags;
  auto l = loadLimits(dir.file("limits.yaml"), sources, diags);
  REQUIRE(l);
  CHECK_FALSE(l->exists);
  CHECK(diags.all().empty());
  const EffectiveLimits e = limitsFor(*l, "alice", {"students"});
  CHECK_FALSE(e.maxGuests.isLimited());
  CHECK(e.maxGuests.text == "unlimited");
  CHECK(e.maxGuests.describeSource() == "no entry sets it");
  CHECK_FALSE(checkLimits(e, {1000, 1000 * kGiB}, {1000, 1000 * kGiB}));
}

TEST_CASE("loadLimits reads a file from disk and refuses a directory or a huge file", "[lab][limits]") {
  TempDir dir;
  const std::string path = dir.file("limits.yaml");
  std::ofstream(path) << "users:\n  alice: {max-guests: 3}\n";
  SourceManager sources;
  Diagnostics diags;
  auto l = loadLimits(path, sources, diags);
  REQUIRE(l);
  CHECK(l->exists);
  CHECK(limitsFor(*l, "alice", {}).maxGuests.describeSource() == "users.alice in " + path);

  std::filesystem::create_directory(dir.file("limits.d"));
  Diagnostics dirDiags;
  CHECK_FALSE(loadLimits(dir.file("limits.d"), sources, dirDiags));
  std::ostringstream out;
  renderDiagnostics(dirDiags, out);
  CHECK(out.str() == "umlab: error: the limits file '" + dir.file("limits.d") +
                         "' is not a regular file; make it one, such as /etc/umlab/limits.yaml\n");

  std::ofstream(dir.file("big.yaml")).close();
  std::filesystem::resize_file(dir.file("big.yaml"), 50 << 20);
  Diagnostics bigDiags;
  CHECK_FALSE(loadLimits(dir.file("big.yaml"), sources, bigDiags));
  std::ostringstream bigOut;
  renderDiagnostics(bigDiags, bigOut);
  CHECK(bigOut.str() == "umlab: error: the limits file '" + dir.file("big.yaml") +
                            "' is larger than 4 MiB; it needs a few lines (docs/limits.md has the format)\n");
}

TEST_CASE("a user's own entry wins over groups, even when a group gives more", "[lab][limits]") {
  const Limits l = example();
  const EffectiveLimits bob = limitsFor(l, "bob", {"teachers"});
  CHECK(bob.user == "bob");
  CHECK(bob.maxGuests.amount == 5);
  CHECK(bob.maxGuests.source == "users.bob");
  CHECK(bob.maxGuests.line == 9);
  CHECK(bob.maxGuests.column == 21);
  // bob's entry sets no memory: that limit comes from his group.
  CHECK_FALSE(bob.maxMemory.isLimited());
  CHECK(bob.maxMemory.text == "unlimited");
  CHECK(bob.maxMemory.source == "groups.teachers");

  const EffectiveLimits alice = limitsFor(l, "alice", {"students"});
  CHECK(alice.maxGuests.amount == 40);
  CHECK(alice.maxMemory.amount == 8 * kGiB);
  CHECK(alice.maxMemory.describeSource() == "users.alice in /etc/umlab/limits.yaml");
}

TEST_CASE("a group's entry wins over default, and the most generous group wins", "[lab][limits]") {
  const Limits l = example();
  const EffectiveLimits student = limitsFor(l, "carol", {"carol", "students"});
  CHECK(student.maxGuests.amount == 12);
  CHECK(student.maxGuests.source == "groups.students");
  CHECK(student.maxMemory.amount == 2 * kGiB);

  // students (12 guests, 2G) and staff (6G, no guest limit): each limit on its own, the most
  // generous entry that sets it; staff sets no guest limit, so students' 12 stands.
  const EffectiveLimits both = limitsFor(l, "dave", {"staff", "students"});
  CHECK(both.maxGuests.amount == 12);
  CHECK(both.maxGuests.source == "groups.students");
  CHECK(both.maxMemory.amount == 6 * kGiB);
  CHECK(both.maxMemory.source == "groups.staff");

  // unlimited beats any number.
  const EffectiveLimits teacher = limitsFor(l, "erin", {"students", "teachers", "staff"});
  CHECK(teacher.maxGuests.amount == 200);
  CHECK(teacher.maxGuests.source == "groups.teachers");
  CHECK_FALSE(teacher.maxMemory.isLimited());
  CHECK(teacher.maxMemory.source == "groups.teachers");
}

TEST_CASE("a tie between groups goes to the group written first", "[lab][limits]") {
  auto l = load("groups:\n  b: {max-guests: 7}\n  a: {max-guests: 7}\n  c: {max-guests: 3}\n");
  REQUIRE(l->limits);
  CHECK(limitsFor(*l->limits, "u", {"a", "c", "b"}).maxGuests.source == "groups.b");
}

TEST_CASE("default applies to users in no listed group, and no entry means unlimited", "[lab][limits]") {
  const Limits l = example();
  const EffectiveLimits frank = limitsFor(l, "frank", {"frank", "users"});
  CHECK(frank.maxGuests.amount == 20);
  CHECK(frank.maxGuests.source == "default");
  CHECK(frank.maxMemory.amount == 4 * kGiB);
  CHECK(frank.maxMemory.text == "4G");

  auto noDefault = load("users: {alice: {max-guests: 2}}\n");
  REQUIRE(noDefault->limits);
  const EffectiveLimits other = limitsFor(*noDefault->limits, "frank", {});
  CHECK_FALSE(other.maxGuests.isLimited());
  CHECK(other.maxGuests.source.empty());
  CHECK_FALSE(other.maxMemory.isLimited());
}

TEST_CASE("checkLimits names the guest limit, its entry and the file", "[lab][limits]") {
  const EffectiveLimits e = sample(40, std::nullopt);
  CHECK(checkLimits(e, {30, 3 * kGiB}, {12, kGiB}) ==
        "this needs 12 more guests and your running labs have 30; your limit is max-guests: 40 (users.alice in "
        "/etc/umlab/limits.yaml); stop a lab with 'umlab down LAB' or ask the machine's administrator");
  CHECK(checkLimits(e, {0, 0}, {41, kGiB}) ==
        "this needs 41 guests; your limit is max-guests: 40 (users.alice in /etc/umlab/limits.yaml); make the lab "
        "smaller or ask the machine's administrator");
  // Stopping other labs cannot make room for a lab that alone is over the limit.
  CHECK(checkLimits(e, {1, 0}, {41, 0}) ==
        "this needs 41 more guests and your running labs have 1; your limit is max-guests: 40 (users.alice in "
        "/etc/umlab/limits.yaml); make the lab smaller or ask the machine's administrator");
  CHECK(checkLimits(e, {39, 0}, {1, 0}) == std::nullopt);  // exactly at the limit
  CHECK(checkLimits(e, {45, 0}, {0, 0}) == std::nullopt);  // a change that adds nothing
  CHECK(*checkLimits(e, {40, 0}, {1, 0}) ==
        "this needs 1 more guest and your running labs have 40; your limit is max-guests: 40 (users.alice in "
        "/etc/umlab/limits.yaml); stop a lab with 'umlab down LAB' or ask the machine's administrator");
}

TEST_CASE("checkLimits names the memory limit, and both when both are passed", "[lab][limits]") {
  const EffectiveLimits e = sample(10, 4 * kGiB);
  CHECK(checkLimits(e, {3, 3 * kGiB}, {2, 1536 * kMiB}) ==
        "this needs 1536M more guest memory and your running labs use 3G; your limit is max-memory: 4G (default "
        "in /etc/umlab/limits.yaml); stop a lab with 'umlab down LAB' or ask the machine's administrator");
  CHECK(checkLimits(e, {0, 0}, {2, 5 * kGiB}) ==
        "this needs 5G of guest memory; your limit is max-memory: 4G (default in /etc/umlab/limits.yaml); make the "
        "lab smaller or ask the machine's administrator");
  CHECK(checkLimits(e, {8, 2 * kGiB}, {4, 3 * kGiB}) ==
        "this needs 4 more guests and your running labs have 8; your limit is max-guests: 10 (users.alice in "
        "/etc/umlab/limits.yaml); this needs 3G more guest memory and your running labs use 2G; your limit is "
        "max-memory: 4G (default in /etc/umlab/limits.yaml); stop a lab with 'umlab down LAB' or ask the machine's "
        "administrator");
  CHECK(checkLimits(e, {0, 0}, {10, 4 * kGiB}) == std::nullopt);
  CHECK(checkLimits(e, {0, UINT64_MAX}, {1, 1}));  // no wrap-around past 2^64
}

TEST_CASE("limit sizes are written in G when whole", "[lab][limits]") {
  CHECK(formatLimitSize(4 * kGiB) == "4G");
  CHECK(formatLimitSize(96 * kMiB) == "96M");
  CHECK(formatLimitSize(1536 * kMiB) == "1536M");
}
