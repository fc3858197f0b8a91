#include "umlab/lab/runtime/user_account.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace umlab::lab::runtime;

TEST_CASE("the current user account has this process's uid, a name and its groups", "[lab][limits]") {
  const UserAccount me = currentUserAccount();
  CHECK(me.uid == ::geteuid());
  CHECK_FALSE(me.name.empty());
  REQUIRE_FALSE(me.groups.empty());
  CHECK(me.isRoot() == (::geteuid() == 0));
}

TEST_CASE("a user account is found by name, with its primary group first", "[lab][limits]") {
  auto root = findUserAccount("root");
  REQUIRE(root);
  CHECK(root->uid == 0);
  CHECK(root->isRoot());
  REQUIRE_FALSE(root->groups.empty());
  CHECK(root->groups.front() == "root");
  CHECK_FALSE(findUserAccount("umlab-no-such-user-x9"));
}
