#include "umlab/base/spelling.hpp"

#include <catch2/catch.hpp>

using namespace umlab;

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps", "[base][spelling]") {
  CHECK(editDistance("", "") == 0);
  CHECK(editDistance("abc", "") == 3);
  CHECK(editDistance("segments", "segmnts") == 1);
  CHECK(editDistance("nodes", "ndoes") == 1);
  CHECK(editDistance("kitten", "sitting") == 3);
}

TEST_CASE("suggestions are close and deterministic", "[base][spelling]") {
  std::vector<std::string> keys{"name", "nodes", "segments", "links", "monitors", "replays"};
  CHECK(suggest("segmnts", keys) == "segments");
  CHECK(suggest("node", keys) == "nodes");
  CHECK_FALSE(suggest("zzzzzz", keys).has_value());
  CHECK(didYouMean("lnks", keys) == "; did you mean 'links'?");
  CHECK(didYouMean("qqq", keys).empty());
  CHECK(suggest("r9", {"r1", "r2"}) == "r1"); // a tie goes to the first candidate
}
