#include "umlab/kernel/rtnetlink.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <net/if.h>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using umlab::kernel::RtNetlink;

namespace {

/// Runs `body` on a thread of its own in a new, empty network namespace (only `lo`, down) and
/// returns what it recorded; {"skipped": why} when the namespace cannot be made (not root).
std::map<std::string, std::string> inNewNetworkNamespace(void (*body)(std::map<std::string, std::string>&)) {
  std::map<std::string, std::string> seen;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      seen["skipped"] = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    body(seen);
  }).join();
  return seen;
}

std::string flagsOf(const char* device) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, device, IFNAMSIZ - 1);
  const bool ok = ::ioctl(s, SIOCGIFFLAGS, &request) == 0;
  ::close(s);
  if (!ok)
    return "?";
  std::string flags;
  if (request.ifr_flags & IFF_UP)
    flags += "up ";
  if (request.ifr_flags & IFF_NOARP)
    flags += "noarp ";
  return flags;
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("rtnetlink brings a device up, adds addresses and routes, and says why it cannot", "[rtnetlink]") {
  auto seen = inNewNetworkNamespace([](std::map<std::string, std::string>& out) {
    RtNetlink nl;
    out["open"] = nl.openError();
    out["flags before"] = flagsOf("lo");
    out["up"] = nl.setUp("lo");
    out["noarp"] = nl.setNoArp("lo");
    out["flags after"] = flagsOf("lo");
    out["add v4"] = nl.addAddress("lo", "127.0.0.2/8");
    out["add v4 again"] = nl.addAddress("lo", "127.0.0.2/8");
    out["add bad"] = nl.addAddress("lo", "127.0.0.300/8");
    out["add no device"] = nl.addAddress("nosuch0", "10.0.0.1/24");
    out["route"] = nl.addRoute("10.99.0.0/16", "127.0.0.1");
    out["route again"] = nl.addRoute("10.99.0.0/16", "127.0.0.1");
    out["route default"] = nl.addRoute("default", "127.0.0.1");
    out["route families"] = nl.addRoute("10.0.0.0/8", "2001:db8::1");
    out["route unreachable"] = nl.addRoute("default", "2001:db8::1");
    out["route bad gateway"] = nl.addRoute("10.98.0.0/16", "127.0.0.0/8");
    out["up no device"] = nl.setUp("nosuch0");
    out["bad mac"] = nl.setMac("lo", "zz:00:00:00:00:00");
    out["long name"] = nl.rename("lo", "a-name-far-too-long");
    out["routes"] = slurp("/proc/thread-self/net/route");
    out["addresses"] = slurp("/proc/thread-self/net/fib_trie");
  });
  if (seen.count("skipped")) {
    WARN("skipped: " << seen["skipped"] << " (needs root)");
    return;
  }
  CHECK(seen["open"] == "");
  CHECK(seen["flags before"] == "");
  CHECK(seen["up"] == "");
  CHECK(seen["noarp"] == "");
  CHECK(seen["flags after"] == "up noarp ");
  CHECK(seen["add v4"] == "");
  CHECK(seen["add v4 again"] == "File exists");
  CHECK(seen["add bad"] == "'127.0.0.300/8' is not an address with a prefix length");
  CHECK(seen["add no device"] == "no network device 'nosuch0'");
  CHECK(seen["route"] == "");
  CHECK(seen["route again"] == "File exists");
  CHECK(seen["route default"] == "");
  CHECK(seen["route families"] == "the destination 10.0.0.0/8 and the gateway 2001:db8::1 are not of one family");
  CHECK(seen["route unreachable"] == "No route to host"); // as `ip -6 route add default via` says here
  CHECK(seen["route bad gateway"] == "'127.0.0.0/8' is not a gateway address");
  CHECK(seen["up no device"] == "no network device 'nosuch0'");
  CHECK(seen["bad mac"] == "'zz:00:00:00:00:00' is not a MAC address");
  CHECK(seen["long name"].find("longer than 15 characters") != std::string::npos);
  // /proc/net/route: destination 10.99.0.0 (little-endian hex 0000630A), mask /16 (0000FFFF),
  // gateway 127.0.0.1 (0100007F); the default route: destination and mask 0.
  CHECK(seen["routes"].find("0000630A\t0100007F") != std::string::npos);
  CHECK(seen["routes"].find("00000000\t0100007F") != std::string::npos);
  CHECK(seen["addresses"].find("127.0.0.2") != std::string::npos);
}
