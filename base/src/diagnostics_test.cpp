#include "umlab/base/diagnostics.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;

TEST_CASE("a diagnostic prints its location, the source line and a caret", "[base][diag]") {
  SourceManager sm;
  const SourceFile& f = sm.add("lab.yaml", "name: x\nlinks:\n  - {endpoints: [r9:eth0, lan]}\n");
  Diagnostics diags;
  Diagnostic& d = diags.error({&f, 3, 18}, "link endpoint 'r9:eth0' names unknown node 'r9'");
  Diagnostics::note(d, {&f, 1, 1}, "the lab is declared here");
  CHECK(renderDiagnostic(diags.all()[0]) ==
        "lab.yaml:3:18: error: link endpoint 'r9:eth0' names unknown node 'r9'\n"
        "  - {endpoints: [r9:eth0, lan]}\n"
        "                 ^\n"
        "lab.yaml:1:1: note: the lab is declared here\n"
        "name: x\n"
        "^\n");
}

TEST_CASE("a whole-file diagnostic has no line and no caret", "[base][diag]") {
  SourceManager sm;
  const SourceFile& f = sm.add("big.yaml", "");
  Diagnostics diags;
  diags.error({&f, 0, 0}, "file is too large");
  diags.error({}, "no location at all");
  std::ostringstream out;
  renderDiagnostics(diags, out);
  CHECK(out.str() == "big.yaml: error: file is too large\numlab: error: no location at all\n");
}

TEST_CASE("tabs in the source line keep the caret aligned", "[base][diag]") {
  SourceManager sm;
  const SourceFile& f = sm.add("t.yaml", "\tkey: v\r\n");
  Diagnostics diags;
  diags.warning({&f, 1, 7}, "odd");
  CHECK(renderDiagnostic(diags.all()[0]) == "t.yaml:1:7: warning: odd\n\tkey: v\n\t     ^\n");
}

TEST_CASE("a line with control bytes is not echoed", "[base][diag]") {
  SourceManager sm;
  const SourceFile& f = sm.add("bin.yaml", std::string("a\x01\x02z\n", 5));
  Diagnostics diags;
  diags.error({&f, 1, 2}, "not text");
  CHECK(renderDiagnostic(diags.all()[0]) == "bin.yaml:1:2: error: not text\n");
}

TEST_CASE("the sink keeps the first N errors and says how many there were", "[base][diag]") {
  Diagnostics diags(2);
  for (int i = 0; i < 5; ++i)
    diags.error({}, "e" + std::to_string(i));
  diags.warning({}, "w");
  CHECK(diags.errorCount() == 5);
  CHECK(diags.overLimit());
  std::ostringstream out;
  renderDiagnostics(diags, out);
  CHECK(out.str() == "umlab: error: e0\numlab: error: e1\numlab: warning: w\n"
                     "umlab: error: too many errors (5 in all); only the first 2 are shown\n");
}
