#include "umlab/lab/runtime/classroom.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <unistd.h>

using namespace umlab;
using namespace umlab::lab::runtime;

namespace {

std::optional<Student> fakeAccount(const std::string& name) {
  if (name == "root")
    return Student{"root", 0, 0, "/root"};
  if (name == "anna" || name == "ben" || name == "chloe")
    return Student{name, static_cast<uid_t>(1000 + name.size()), 100, "/home/" + name};
  return std::nullopt;
}

std::string render(const Diagnostics& d) {
  std::ostringstream o;
  renderDiagnostics(d, o);
  return o.str();
}

} // namespace

TEST_CASE("a students file lists one account per line, with comments and a CSV's first column", "[runtime][class]") {
  SourceManager sources;
  Diagnostics diags;
  auto s = parseStudents("class.txt", "# group A\n\nanna\n  ben   # late\n", sources, diags, fakeAccount);
  REQUIRE(s);
  REQUIRE(s->size() == 2);
  CHECK((*s)[0].account == "anna");
  CHECK((*s)[1].account == "ben");
  CHECK((*s)[1].home == "/home/ben");
  auto csv = parseStudents("class.csv", "username,name,mail\n\"anna\",Anna A,a@x\nchloe,Chloe C,c@x\n", sources, diags,
                           fakeAccount);
  REQUIRE(csv);
  CHECK(csv->size() == 2);
  CHECK(csv->back().account == "chloe");
  CHECK(diags.all().empty());
}

TEST_CASE("a bad students file gets every error at file:line:col and starts nothing", "[runtime][class]") {
  SourceManager sources;
  Diagnostics diags;
  auto s = parseStudents("class.txt", "anna\n  dave\nroot\nanna\nben carl\n", sources, diags, fakeAccount);
  CHECK_FALSE(s);
  const std::string text = render(diags);
  CHECK(text.find("class.txt:2:3: error: there is no account 'dave' on this machine; create it ('adduser dave') or "
                  "remove the line") != std::string::npos);
  CHECK(text.find("class.txt:3:1: error: 'root' is root") != std::string::npos);
  CHECK(text.find("class.txt:4:1: error: 'anna' is listed twice") != std::string::npos);
  CHECK(text.find("class.txt:5:1: error: 'ben carl' is not an account name") != std::string::npos);
  Diagnostics empty;
  CHECK_FALSE(parseStudents("none.txt", "# nobody yet\n", sources, empty, fakeAccount));
  CHECK(render(empty).find("none.txt: error: lists no accounts") != std::string::npos);
}

TEST_CASE("a class is recorded, found by name, listed and forgotten", "[runtime][class]") {
  const std::string dir = (std::filesystem::temp_directory_path() / ("umlab-classes-" + std::to_string(::getpid()))).string();
  ::setenv("UMLAB_CLASS_DIR", dir.c_str(), 1);
  ClassRecord r{"net101", "/srv/labs/lan.yaml", "lan", "teacher", {"anna", "ben"}};
  saveClass(r);
  CHECK(listClasses() == std::vector<std::string>{"net101"});
  const ClassRecord back = loadClass("net101");
  CHECK(back.topology == r.topology);
  CHECK(back.lab == "lan");
  CHECK(back.teacher == "teacher");
  CHECK(back.students == r.students);
  CHECK_THROWS_WITH(loadClass("net102"), Catch::Contains("there is no class 'net102' (classes: net101)"));
  CHECK_THROWS_WITH(loadClass("../x"), Catch::Contains("is not a class name"));
  removeClass("net101");
  CHECK(listClasses().empty());
  CHECK_FALSE(std::filesystem::exists(dir));
  ::unsetenv("UMLAB_CLASS_DIR");
}
