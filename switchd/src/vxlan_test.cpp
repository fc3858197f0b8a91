// The VXLAN header and the tunnel options' parsing (umlab/switchd/vxlan.hpp), and the egress
// queue's header prefix.

#include "umlab/switchd/egress_queue.hpp"
#include "umlab/switchd/vxlan.hpp"

#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd;

TEST_CASE("a VXLAN header carries the I flag and the VNI big-endian, reserved bits zero", "[switchd][vxlan]") {
  CHECK(encodeVxlanHeader(4242) == VxlanHeader{0x08, 0, 0, 0, 0x00, 0x10, 0x92, 0});
  CHECK(encodeVxlanHeader(kVxlanMaxVni) == VxlanHeader{0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0});
  const VxlanHeader h = encodeVxlanHeader(0x123456);
  const VxlanDecoded d = decodeVxlanHeader(h);
  CHECK_FALSE(d.error);
  CHECK(d.vni == 0x123456);
}

TEST_CASE("decoding a VXLAN header ignores reserved bits and refuses runts and a missing I flag", "[switchd][vxlan]") {
  const std::vector<uint8_t> reservedSet{0x88, 0x12, 0x34, 0x56, 0x00, 0x00, 0x2a, 0xff, 0xde, 0xad};
  CHECK(decodeVxlanHeader(reservedSet).vni == 42);
  CHECK_FALSE(decodeVxlanHeader(reservedSet).error);
  const std::vector<uint8_t> noI{0x00, 0, 0, 0, 0, 0, 0x2a, 0};
  CHECK(decodeVxlanHeader(noI).error == VxlanDecodeError::NoIFlag);
  const std::vector<uint8_t> runt{0x08, 0, 0, 0, 0, 0, 0x2a};
  CHECK(decodeVxlanHeader(runt).error == VxlanDecodeError::Runt);
  CHECK(decodeVxlanHeader({}).error == VxlanDecodeError::Runt);
}

TEST_CASE("a VNI is 1 to 16777215", "[switchd][vxlan]") {
  CHECK(parseVni("1") == 1u);
  CHECK(parseVni("16777215") == 16777215u);
  CHECK_FALSE(parseVni("0"));
  CHECK_FALSE(parseVni("16777216"));
  CHECK_FALSE(parseVni("-1"));
  CHECK_FALSE(parseVni("12x"));
  CHECK_FALSE(parseVni(""));
}

TEST_CASE("an IPv4 endpoint is a dotted quad and a port, the port optional only with a default", "[switchd][vxlan]") {
  const auto e = parseIpv4Endpoint("10.199.3.2:4790");
  REQUIRE(e);
  CHECK(e->address == 0x0ac70302u);
  CHECK(e->port == 4790);
  CHECK(e->str() == "10.199.3.2:4790");
  CHECK_FALSE(parseIpv4Endpoint("10.199.3.2"));
  CHECK(parseIpv4Endpoint("10.199.3.2", 4789)->port == 4789);
  CHECK_FALSE(parseIpv4Endpoint("10.199.3.2:0"));
  CHECK_FALSE(parseIpv4Endpoint("10.199.3.2:65536"));
  CHECK_FALSE(parseIpv4Endpoint("10.199.3:4789"));
  CHECK_FALSE(parseIpv4Endpoint("host2:4789"));
  CHECK_FALSE(parseIpv4Endpoint(":4789"));
  CHECK_FALSE(parseIpv4Endpoint("::1:4789"));
}

TEST_CASE("a VXLAN peer is [NAME=]ADDR[:PORT], named vxlanN and on port 4789 by default", "[switchd][vxlan]") {
  auto p = parseVxlanPeer("10.0.0.2", 3);
  REQUIRE(p);
  CHECK(p->name == "vxlan3");
  CHECK(p->endpoint.str() == "10.0.0.2:4789");
  p = parseVxlanPeer("host2:lan=10.0.0.2:8472", 1);
  REQUIRE(p);
  CHECK(p->name == "host2:lan");
  CHECK(p->endpoint.str() == "10.0.0.2:8472");
  CHECK_FALSE(parseVxlanPeer("=10.0.0.2", 1));
  CHECK_FALSE(parseVxlanPeer("kern=", 1));
  CHECK_FALSE(parseVxlanPeer("kern=10.0.0.2:x", 1));
  CHECK_FALSE(parseVxlanPeer("0.0.0.0", 1));
}

TEST_CASE("an egress queue flushed with a prefix sends it before every frame and counts the frames' bytes", "[switchd][vxlan][egress]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) == 0);
  UniqueFd a(fds[0]), b(fds[1]);
  EgressQueue q(8);
  const std::vector<uint8_t> f1(60, 0x11), f2(1514, 0x22);
  REQUIRE(q.push(f1));
  REQUIRE(q.push(f2));
  const VxlanHeader h = encodeVxlanHeader(7);
  const EgressQueue::FlushResult r = q.flush(a.get(), nullptr, 0, h);
  CHECK(r.sent == 2);
  CHECK(r.sentBytes == 60 + 1514);
  for (const auto* f : {&f1, &f2}) {
    std::vector<uint8_t> got(2048);
    const ssize_t n = ::recv(b.get(), got.data(), got.size(), MSG_DONTWAIT);
    REQUIRE(n == ssize_t(kVxlanHeaderSize + f->size()));
    CHECK(std::equal(h.begin(), h.end(), got.begin()));
    CHECK(std::equal(f->begin(), f->end(), got.begin() + kVxlanHeaderSize));
  }
}
