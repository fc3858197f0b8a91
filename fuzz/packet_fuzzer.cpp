// libFuzzer target: arbitrary bytes as one captured Ethernet frame, through parsePacket, the
// flow, fingerprints and description, the quote of an ICMP error, and rewriteFrame in both
// checksum modes.
// Nothing here may crash, read or write outside the frame, or trip a sanitizer (packet.hpp: the
// parser reads untrusted captures). Two promises are checked on top: a parse has a view or an
// error, never both; and a frame the rewriter accepted still parses, with the same layers.

#include "umlab/transports/address_map.hpp"
#include "umlab/transports/packet.hpp"
#include "umlab/transports/packet_flow.hpp"
#include "umlab/transports/packet_rewrite.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using namespace umlab;
using namespace umlab::transports;

AddressMap makeMap() {
  AddressMap map;
  for (const char* rule : {"0.0.0.0/1=128.0.0.0/1", "10.0.0.0/8=172.0.0.0/8", "192.0.2.10/32=10.0.1.10/32",
                           "::/1=8000::/1", "2001:db8::/32=fd00::/32"})
    if (map.add(rule))
      std::abort();
  return map;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const AddressMap map = makeMap();
  const std::span<const uint8_t> input(data, size);
  const ParsedPacket parsed = parsePacket(input);
  if (parsed.error.empty() != parsed.view.has_value())
    std::abort();
  if (parsed) {
    (void)flowOf(*parsed);
    (void)fingerprint(*parsed);
    (void)quoteFingerprint(*parsed);
    (void)describePacket(*parsed);
    if (const IcmpHeader* icmp = parsed->icmp(); icmp && icmp->isError())
      if (const ParsedPacket quoted = parseIpPacket(icmp->quoted))
        (void)fingerprint(*quoted);
  }
  for (ChecksumUpdate mode : {ChecksumUpdate::Incremental, ChecksumUpdate::Recompute}) {
    // A copy of exactly the input's size on the heap, so that ASan sees any write past it.
    std::vector<uint8_t> frame(input.begin(), input.end());
    RewriteOptions options;
    options.sourceMac = MacAddress(MacAddress::Bytes{2, 0, 0, 0, 0, 1});
    options.minimumTtl = 16;
    options.checksums = mode;
    if (rewriteFrame(frame, map, options))
      continue;
    const ParsedPacket after = parsePacket(frame);
    if (!parsed || !after || after->ip.has_value() != parsed->ip.has_value() ||
        after->transport.index() != parsed->transport.index())
      std::abort();
  }
  return 0;
}
