#include "umlab/lab/runtime/user_namespace.hpp"

#include <catch2/catch.hpp>

using namespace umlab::lab::runtime;

TEST_CASE("subordinate ranges are found by user name or uid, the first valid one", "[runtime][rootless]") {
  const char* text = "# comment\n"
                     "bob:200000:65536\n"
                     "alice:100000:65536\n"
                     "alice:300000:10\n"
                     "1005:400000:1000\n"
                     "broken:line\n"
                     "carol:500000:1\n";
  CHECK(findSubordinateRange(text, "alice", 1001) == IdRange{100000, 65536});
  CHECK(findSubordinateRange(text, "bob", 1002) == IdRange{200000, 65536});
  CHECK(findSubordinateRange(text, "dave", 1005) == IdRange{400000, 1000});
  CHECK_FALSE(findSubordinateRange(text, "erin", 1006));
  CHECK_FALSE(findSubordinateRange(text, "carol", 1007)); // one id is not enough for a guest
  CHECK_FALSE(findSubordinateRange("", "alice", 1001));
}

TEST_CASE("with subordinate ids the user is inside 0 and guests get one id of the range per lab", "[runtime][rootless]") {
  const auto p = planUserNamespace(1001, 1001, "alice", IdRange{100000, 65536}, IdRange{300000, 65536}, true, "lan");
  CHECK(p.usesNewidmap);
  CHECK(p.uidMap == std::vector<IdMapLine>{{0, 1001, 1}, {1, 100000, 65536}});
  CHECK(p.gidMap == std::vector<IdMapLine>{{0, 1001, 1}, {1, 300000, 65536}});
  CHECK(p.guestId >= 1000);
  CHECK(p.guestId <= 65536);
  CHECK(p.note.empty());
  const auto other = planUserNamespace(1001, 1001, "alice", IdRange{100000, 65536}, IdRange{300000, 65536}, true, "dmz");
  CHECK(other.guestId != p.guestId);
  // A small range still maps, using every id it has.
  const auto small = planUserNamespace(1001, 1001, "alice", IdRange{100000, 10}, IdRange{300000, 20}, true, "lan");
  CHECK(small.uidMap.back() == IdMapLine{1, 100000, 10});
  CHECK(small.guestId >= 1);
  CHECK(small.guestId <= 10);
}

TEST_CASE("without subordinate ids or uidmap, guests run as the user and the note says why", "[runtime][rootless]") {
  const auto noTool = planUserNamespace(1001, 1002, "alice", IdRange{100000, 65536}, IdRange{100000, 65536}, false, "lan");
  CHECK_FALSE(noTool.usesNewidmap);
  CHECK(noTool.uidMap == std::vector<IdMapLine>{{0, 1001, 1}});
  CHECK(noTool.gidMap == std::vector<IdMapLine>{{0, 1002, 1}});
  CHECK(noTool.guestId == 0);
  CHECK(noTool.note.find("apt-get install uidmap") != std::string::npos);
  const auto noRange = planUserNamespace(1001, 1001, "alice", std::nullopt, IdRange{100000, 65536}, true, "lan");
  CHECK(noRange.guestId == 0);
  CHECK(noRange.note.find("/etc/subuid") != std::string::npos);
  CHECK(noRange.note.find("usermod --add-subuids") != std::string::npos);
}
