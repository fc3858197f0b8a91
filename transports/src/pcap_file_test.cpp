#include "umlab/transports/pcap_file.hpp"

#include "test_temp_dir.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <unistd.h>

using namespace umlab;
using namespace umlab::transports;
using umlab::transports::testing::TempDir;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr PcapTimestamp kT0{std::chrono::seconds{1704067200}};

PcapTimestamp at(int64_t micros) { return kT0 + std::chrono::microseconds(micros); }

Bytes readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A frame of `size` bytes whose contents depend on `seed`.
Bytes pattern(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

void putLe16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void putLe32(Bytes& b, uint32_t v) {
  putLe16(b, static_cast<uint16_t>(v));
  putLe16(b, static_cast<uint16_t>(v >> 16));
}
void putBe16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void putBe32(Bytes& b, uint32_t v) {
  putBe16(b, static_cast<uint16_t>(v >> 16));
  putBe16(b, static_cast<uint16_t>(v));
}

/// A classic pcap file header written by hand, little- or big-endian.
Bytes pcapHeader(uint32_t linkType, bool bigEndian = false, uint16_t major = 2, uint16_t minor = 4) {
  Bytes b;
  auto p16 = bigEndian ? putBe16 : putLe16;
  auto p32 = bigEndian ? putBe32 : putLe32;
  p32(b, 0xa1b2c3d4);
  p16(b, major);
  p16(b, minor);
  p32(b, 0);     // thiszone
  p32(b, 0);     // sigfigs
  p32(b, 65535); // snaplen
  p32(b, linkType);
  return b;
}

void appendRecord(Bytes& b, uint32_t seconds, uint32_t micros, const Bytes& frame,
                  bool bigEndian = false) {
  auto p32 = bigEndian ? putBe32 : putLe32;
  p32(b, seconds);
  p32(b, micros);
  p32(b, static_cast<uint32_t>(frame.size()));
  p32(b, static_cast<uint32_t>(frame.size()));
  b.insert(b.end(), frame.begin(), frame.end());
}

/// The smallest useful pcapng file, little-endian: a section header block, one Ethernet
/// interface (microsecond timestamps, the default) and one enhanced packet block per frame.
Bytes pcapngFile(const std::vector<std::pair<uint64_t, Bytes>>& frames) {
  Bytes b;
  // Section header block: type, length, byte-order magic, version 1.0, section length unknown.
  putLe32(b, 0x0a0d0d0a);
  putLe32(b, 28);
  putLe32(b, 0x1a2b3c4d);
  putLe16(b, 1);
  putLe16(b, 0);
  putLe32(b, 0xffffffff);
  putLe32(b, 0xffffffff);
  putLe32(b, 28);
  // Interface description block: link type 1 (Ethernet), reserved, snaplen.
  putLe32(b, 1);
  putLe32(b, 20);
  putLe16(b, 1);
  putLe16(b, 0);
  putLe32(b, 65535);
  putLe32(b, 20);
  for (const auto& [micros, data] : frames) {
    const uint32_t padded = static_cast<uint32_t>((data.size() + 3) / 4 * 4);
    const uint32_t blockSize = 32 + padded;
    putLe32(b, 6); // enhanced packet block
    putLe32(b, blockSize);
    putLe32(b, 0); // interface 0
    putLe32(b, static_cast<uint32_t>(micros >> 32));
    putLe32(b, static_cast<uint32_t>(micros));
    putLe32(b, static_cast<uint32_t>(data.size())); // captured
    putLe32(b, static_cast<uint32_t>(data.size())); // on the wire
    b.insert(b.end(), data.begin(), data.end());
    b.resize(b.size() + (padded - data.size()), 0);
    putLe32(b, blockSize);
  }
  return b;
}

/// Opens `path` expecting failure; returns the one error message.
std::string openError(const std::string& path) {
  Diagnostics diags;
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  CHECK_FALSE(reader);
  REQUIRE(diags.all().size() == 1);
  return diags.all()[0].message;
}

/// Reads `path` to the end expecting a bad frame; returns the message and the good frames.
std::pair<std::string, size_t> frameError(const std::string& path) {
  Diagnostics diags;
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  REQUIRE(reader);
  size_t goodFrames = 0;
  while (reader->next(diags))
    ++goodFrames;
  CHECK(reader->hasFailed());
  CHECK_FALSE(reader->next(diags)); // stays failed
  REQUIRE(diags.all().size() == 1);
  return {diags.all()[0].message, goodFrames};
}

} // namespace

TEST_CASE("frames written to a pcap file read back with their times and sizes",
          "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("out.pcap");
  const std::vector<Bytes> frames = {pattern(60, 1), pattern(1514, 2), pattern(98, 3)};
  {
    PcapWriter writer = PcapWriter::create(path);
    for (size_t i = 0; i < frames.size(); ++i)
      writer.write(at(static_cast<int64_t>(i) * 10'000 + 7), frames[i]);
    CHECK(writer.frameCount() == 3);
    writer.close();
  }

  Diagnostics diags;
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  REQUIRE(reader);
  CHECK(reader->format() == PcapFormat::Pcap);
  CHECK(reader->snapshotSize() == kPcapSnapshotSize);
  for (size_t i = 0; i < frames.size(); ++i) {
    std::optional<PcapFrame> frame = reader->next(diags);
    REQUIRE(frame);
    CHECK(frame->number == i + 1);
    CHECK(frame->timestamp == at(static_cast<int64_t>(i) * 10'000 + 7));
    CHECK(frame->wireSize == frames[i].size());
    CHECK(frame->data == frames[i]);
  }
  CHECK_FALSE(reader->next(diags));
  CHECK_FALSE(reader->hasFailed());
  CHECK(diags.all().empty());
}

TEST_CASE("the writer emits a classic pcap 2.4 Ethernet header and 16-byte records",
          "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("one.pcap");
  PcapWriter writer = PcapWriter::create(path);
  writer.write(at(123456), Bytes{0xaa, 0xbb});
  writer.close();

  // libpcap writes the headers in the host's byte order; build the expectation the same way.
  const bool isBigEndianHost = std::endian::native == std::endian::big;
  auto p32 = isBigEndianHost ? putBe32 : putLe32;
  Bytes expected = pcapHeader(1, isBigEndianHost);
  p32(expected, 1704067200); // seconds
  p32(expected, 123456);     // microseconds
  p32(expected, 2);          // captured size
  p32(expected, 2);          // wire size
  expected.push_back(0xaa);
  expected.push_back(0xbb);
  CHECK(readBytes(path) == expected);
}

TEST_CASE("a frame longer than the snapshot length is cut and keeps its wire size",
          "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("jumbo.pcap");
  const Bytes jumbo = pattern(70000, 9);
  PcapWriter writer = PcapWriter::create(path);
  writer.write(kT0, jumbo);
  writer.close();

  Diagnostics diags;
  std::optional<std::vector<PcapFrame>> frames = readPcapFile(path, diags);
  REQUIRE(frames);
  REQUIRE(frames->size() == 1);
  CHECK((*frames)[0].wireSize == 70000);
  CHECK((*frames)[0].data == Bytes(jumbo.begin(), jumbo.begin() + kPcapSnapshotSize));
}

TEST_CASE("a writer on a borrowed descriptor leaves the descriptor open", "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("fd.pcap");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  {
    PcapWriter writer = PcapWriter::toFd(fd, "<test fd>");
    CHECK(writer.name() == "<test fd>");
    writer.write(kT0, pattern(64, 4));
    writer.close();
  }
  CHECK(::fcntl(fd, F_GETFD) != -1);
  ::close(fd);

  Diagnostics diags;
  std::optional<std::vector<PcapFrame>> frames = readPcapFile(path, diags);
  REQUIRE(frames);
  REQUIRE(frames->size() == 1);
  CHECK((*frames)[0].data == pattern(64, 4));
}

TEST_CASE("creating a pcap file in a missing directory throws with the path",
          "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("nowhere/out.pcap");
  try {
    PcapWriter::create(path);
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()) == "create " + path + ": No such file or directory");
    CHECK(e.code() == std::errc::no_such_file_or_directory);
  }
}

TEST_CASE("a big-endian pcap file reads like a little-endian one", "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("be.pcap");
  Bytes file = pcapHeader(1, true);
  appendRecord(file, 1704067200, 250, pattern(60, 5), true);
  writeBytes(path, file);

  Diagnostics diags;
  std::optional<std::vector<PcapFrame>> frames = readPcapFile(path, diags);
  REQUIRE(frames);
  REQUIRE(frames->size() == 1);
  CHECK((*frames)[0].timestamp == at(250));
  CHECK((*frames)[0].data == pattern(60, 5));
}

TEST_CASE("a pcapng file written by hand reads frame for frame", "[transports][pcap]") {
  TempDir dir;
  const std::string path = dir.file("hand.pcapng");
  const uint64_t t0 = 1704067200ull * 1'000'000;
  writeBytes(path, pcapngFile({{t0 + 1, pattern(60, 6)}, {t0 + 2'000'003, pattern(99, 7)}}));

  Diagnostics diags;
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  REQUIRE(reader);
  CHECK(reader->format() == PcapFormat::Pcapng);
  std::optional<PcapFrame> first = reader->next(diags);
  std::optional<PcapFrame> second = reader->next(diags);
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(reader->next(diags));
  CHECK(diags.all().empty());
  CHECK(first->number == 1);
  CHECK(first->timestamp == at(1));
  CHECK(first->data == pattern(60, 6));
  CHECK(second->number == 2);
  CHECK(second->timestamp == at(2'000'003));
  CHECK(second->wireSize == 99);
  CHECK(second->data == pattern(99, 7));
}

TEST_CASE("a pcapng timestamp beyond what microseconds since 1970 hold names its frame", "[transports][pcap][errors]") {
  // Found by fuzz.capture: the conversion to microseconds overflowed.
  TempDir dir;
  const std::string path = dir.file("far.pcapng");
  writeBytes(path, pcapngFile({{1, pattern(60, 1)}, {0xefdedf87fff9f223ull, pattern(60, 2)}}));
  Diagnostics diags;
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  REQUIRE(reader);
  CHECK(reader->next(diags));
  CHECK_FALSE(reader->next(diags));
  CHECK(reader->hasFailed());
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].message.find(path + ": frame 2 has a timestamp out of range (") == 0);
}

TEST_CASE("a missing capture is reported with its path", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("absent.pcap");
  CHECK(openError(path) == path + ": cannot open: No such file or directory");
}

TEST_CASE("a directory is not taken for a capture", "[transports][pcap][errors]") {
  TempDir dir;
  CHECK(openError(dir.path().string()) == dir.path().string() + ": is a directory, not a capture file");
}

TEST_CASE("an empty capture is reported as empty", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("empty.pcap");
  writeBytes(path, {});
  CHECK(openError(path) == path + ": file is empty; expected a pcap or pcapng capture");
}

TEST_CASE("a file that is not a capture is reported with its first bytes",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("notes.pcap");
  const std::string text = "hello, this is text\n";
  writeBytes(path, Bytes(text.begin(), text.end()));
  CHECK(openError(path) == path + ": not a pcap or pcapng file (it starts with 68 65 6c 6c; a pcap "
                                  "file starts with a1 b2 c3 d4 or d4 c3 b2 a1, a pcapng file with "
                                  "0a 0d 0d 0a)");
  writeBytes(path, Bytes{0xd4, 0xc3});
  CHECK(openError(path) == path + ": file is too short to be a capture (2 bytes)");
}

TEST_CASE("a cut-off file header is reported with both sizes", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("short.pcap");
  Bytes header = pcapHeader(1);
  header.resize(10);
  writeBytes(path, header);
  CHECK(openError(path) == path + ": file header is truncated (a pcap file header has 24 bytes, "
                                  "the file has 10)");
}

TEST_CASE("a file header with an unknown version is reported in libpcap's words",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("v9.pcap");
  writeBytes(path, pcapHeader(1, false, 9, 9));
  CHECK(openError(path) == path + ": bad file header: unsupported pcap savefile version 9.9");
}

TEST_CASE("a capture of another link type is refused by name", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("raw-ip.pcap");
  Bytes file = pcapHeader(101); // LINKTYPE_RAW: IP packets without a link-layer header
  appendRecord(file, 1704067200, 0, pattern(40, 1));
  writeBytes(path, file);
  CHECK(openError(path) == path + ": link-layer type is RAW (Raw IP); only Ethernet (EN10MB) "
                                  "captures can be replayed into a lab");
}

TEST_CASE("a frame cut short names its number and both sizes", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("x.pcap");
  {
    PcapWriter writer = PcapWriter::create(path);
    for (int i = 0; i < 7; ++i)
      writer.write(at(i * 1000), pattern(i < 6 ? 60 : 1514, static_cast<uint8_t>(i)));
    writer.close();
  }
  Bytes file = readBytes(path);
  file.resize(file.size() - (1514 - 200)); // keep 200 bytes of frame 7
  writeBytes(path, file);

  const auto [message, goodFrames] = frameError(path);
  CHECK(goodFrames == 6);
  CHECK(message == path + ": frame 7 is truncated (header says 1514 bytes, file ends after 200)");
}

TEST_CASE("a record header cut short is reported as such", "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("cut-header.pcap");
  Bytes file = pcapHeader(1);
  appendRecord(file, 1704067200, 0, pattern(60, 1));
  appendRecord(file, 1704067200, 10, pattern(60, 2));
  file.resize(file.size() - 60 - 11); // 5 bytes of frame 2's record header remain
  writeBytes(path, file);

  const auto [message, goodFrames] = frameError(path);
  CHECK(goodFrames == 1);
  CHECK(message == path + ": frame 2 is truncated (file ends 5 bytes into its 16-byte record header)");
}

TEST_CASE("a big-endian frame cut short is measured in the file's byte order",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("be-cut.pcap");
  Bytes file = pcapHeader(1, true);
  appendRecord(file, 1704067200, 0, pattern(300, 1), true);
  file.resize(file.size() - 100);
  writeBytes(path, file);

  const auto [message, goodFrames] = frameError(path);
  CHECK(goodFrames == 0);
  CHECK(message == path + ": frame 1 is truncated (header says 300 bytes, file ends after 200)");
}

TEST_CASE("a frame cut short in the 'modified' pcap variant counts its 24-byte record header",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("modified.pcap");
  Bytes file = pcapHeader(1);
  file[0] = 0x34; // magic a1 b2 cd 34, little-endian
  file[1] = 0xcd;
  for (uint8_t seed : {1, 2}) {
    appendRecord(file, 1704067200, seed, pattern(300, seed));
    // Interface index, protocol, packet type and padding sit between the record and the data.
    file.insert(file.end() - 300, {0, 0, 0, 0, 0x08, 0x00, 0, 0});
  }
  file.resize(file.size() - 100);
  writeBytes(path, file);

  const auto [message, goodFrames] = frameError(path);
  CHECK(goodFrames == 1);
  CHECK(message == path + ": frame 2 is truncated (header says 300 bytes, file ends after 200)");
}

TEST_CASE("a pcapng packet block cut short names the frame and both sizes",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("cut.pcapng");
  const uint64_t t0 = 1704067200ull * 1'000'000;
  Bytes file = pcapngFile({{t0, pattern(60, 1)}, {t0 + 5, pattern(100, 2)}});
  file.resize(file.size() - 70); // the second block has 132 bytes; 62 remain
  writeBytes(path, file);

  const auto [message, goodFrames] = frameError(path);
  CHECK(goodFrames == 1);
  CHECK(message == path + ": frame 2 is truncated (block header says 132 bytes, file ends after 62)");
}

TEST_CASE("readPcapFile gives nothing but the error for a damaged capture",
          "[transports][pcap][errors]") {
  TempDir dir;
  const std::string path = dir.file("damaged.pcap");
  Bytes file = pcapHeader(1);
  appendRecord(file, 1704067200, 0, pattern(60, 1));
  file.pop_back();
  writeBytes(path, file);

  Diagnostics diags;
  CHECK_FALSE(readPcapFile(path, diags));
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].message == path + ": frame 1 is truncated (header says 60 bytes, file ends after 59)");
}
