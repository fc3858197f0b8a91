#include "umlab/kernel/image_progress.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab::kernel;

TEST_CASE("debootstrap's package lines are counted, its phase lines are not", "[kernel][image][progress]") {
  DebootstrapCounter c;
  CHECK(c.describe().empty());
  CHECK(c.feed("I: Retrieving InRelease "));
  CHECK(c.describe() == "retrieving InRelease");
  CHECK(c.feed("I: Resolving dependencies of base packages..."));
  CHECK(c.describe() == "resolving dependencies of base packages");
  CHECK(c.retrieved == 0);
  for (const char* line : {"I: Retrieving InRelease ", "I: Checking Release signature", "I: Retrieving Packages ",
                           "I: Validating Packages ", "I: Resolving dependencies of required packages...",
                           "I: Checking component main on http://deb.debian.org/debian...",
                           "I: Retrieving adduser 3.134", "I: Validating adduser 3.134",
                           "I: Retrieving apt 2.6.1"})
    c.feed(line);
  CHECK(c.retrieved == 2);
  CHECK(c.describe() == "2 retrieved");
  CHECK(c.feed("I: Extracting adduser..."));
  CHECK(c.describe() == "2 retrieved, 1 extracted");
  CHECK_FALSE(c.feed("I: Installing required packages..."));
  CHECK_FALSE(c.feed("I: Unpacking required packages..."));
  CHECK(c.feed("I: Unpacking adduser..."));
  CHECK_FALSE(c.feed("I: Configuring required packages..."));
  CHECK(c.feed("I: Configuring apt..."));
  CHECK_FALSE(c.feed("I: Unpacking the base system..."));
  CHECK_FALSE(c.feed("I: Base system installed successfully."));
  CHECK(c.describe() == "2 retrieved, 1 unpacked, 1 configured");
}

TEST_CASE("without a terminal, progress lines come at most once a second", "[kernel][image][progress]") {
  std::ostringstream out;
  TextImageProgress p(out, false);
  p.note("building image 'debian'");
  p.stepStarted(1, 6, "debootstrap bookworm");
  p.stepUpdated("1 retrieved", 0.2);  // too soon after the start line
  p.stepUpdated("2 retrieved", 1.1);
  p.stepUpdated("3 retrieved", 1.5);  // too soon
  p.stepUpdated("3 retrieved", 2.5);  // new since the last line
  p.stepUpdated("3 retrieved", 3.0);  // nothing new
  p.stepUpdated("3 retrieved", 12.6); // ten seconds: a heartbeat
  p.stepFinished("3 packages", 12.94);
  p.stepStarted(2, 6, "kernel modules");
  p.stepFinished("", 75);
  CHECK(out.str() == "building image 'debian'\n"
                     "[1/6] debootstrap bookworm...\n"
                     "[1/6] debootstrap bookworm... 2 retrieved (1 s)\n"
                     "[1/6] debootstrap bookworm... 3 retrieved (2 s)\n"
                     "[1/6] debootstrap bookworm... 3 retrieved (12 s)\n"
                     "[1/6] debootstrap bookworm... 3 packages (12.9 s)\n"
                     "[2/6] kernel modules...\n"
                     "[2/6] kernel modules... (1m 15s)\n");
}

TEST_CASE("on a terminal, the step's line is rewritten in place", "[kernel][image][progress]") {
  std::ostringstream out;
  TextImageProgress p(out, true);
  p.stepStarted(4, 6, "mkfs");
  p.stepUpdated("", 0.5); // same second, same detail: nothing
  p.stepUpdated("", 1.0);
  p.stepFinished("done", 1.5);
  p.stepStarted(5, 6, "check");
  p.note("warning: x");
  CHECK(out.str() == "[4/6] mkfs...\r\033[K[4/6] mkfs... (1 s)\r\033[K[4/6] mkfs... done (1.5 s)\n"
                     "[5/6] check...\nwarning: x\n");
}

TEST_CASE("durations read as seconds, then minutes", "[kernel][image][progress]") {
  CHECK(formatSeconds(0.04) == "0.0 s");
  CHECK(formatSeconds(34.16) == "34.2 s");
  CHECK(formatSeconds(125.4) == "2m 05s");
}
