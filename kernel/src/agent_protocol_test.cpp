#include "umlab/kernel/agent_protocol.hpp"

#include <catch2/catch.hpp>
#include <cerrno>

using namespace umlab::kernel::agent;

namespace {

std::string encoded(const Frame& frame) {
  std::string out;
  encodeFrame(frame, out);
  return out;
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> frames;
  while (auto frame = decoder.next())
    frames.push_back(std::move(*frame));
  return frames;
}

std::vector<Frame> decodeAll(const std::string& bytes, FrameDecoder& decoder) {
  decoder.feed(bytes);
  return drain(decoder);
}

void checkSame(const std::vector<Frame>& got, const std::vector<Frame>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].id == want[i].id);
    CHECK(got[i].payload == want[i].payload);
  }
}

std::vector<Frame> sampleFrames() {
  std::string binary;
  for (int i = 0; i < 256; ++i)
    binary.push_back(static_cast<char>(i));
  return {
      {FrameType::Hello, 0, "r1"},
      {FrameType::Stdout, 7, "hello\n"},
      {FrameType::Stderr, 7, binary},
      {FrameType::Stdin, 0xfffffffe, ""},
      {FrameType::Exit, 7, encodeExitStatus({3, 0, 0})},
      {FrameType::Ping, 0, "UAUA"},
      {FrameType::Pong, 1, std::string(kMaxPayload, 'A')},
  };
}

} // namespace

TEST_CASE("a frame is encoded with the documented header", "[kernel][agent]") {
  const std::string bytes = encoded({FrameType::Stdout, 0x01020304, "abc"});
  CHECK(bytes == std::string("UA\x02\x00\x01\x02\x03\x04\x00\x00\x00\x03" "abc", 15));
  CHECK(encoded({FrameType::Ping, 0, ""}).size() == kHeaderSize);
}

TEST_CASE("frames round-trip through the decoder", "[kernel][agent]") {
  const auto frames = sampleFrames();
  std::string stream;
  for (const auto& frame : frames)
    encodeFrame(frame, stream);
  FrameDecoder decoder;
  checkSame(decodeAll(stream, decoder), frames);
  CHECK(decoder.skippedBytes() == 0);
  CHECK_FALSE(decoder.next());
}

TEST_CASE("a stream split at every byte boundary decodes the same frames", "[kernel][agent]") {
  std::vector<Frame> frames = {{FrameType::Hello, 0, "guest"},
                               {FrameType::Stdout, 1, "U"},
                               {FrameType::Stdout, 1, ""},
                               {FrameType::Exit, 1, encodeExitStatus({0, 0, 0})}};
  std::string stream;
  for (const auto& frame : frames)
    encodeFrame(frame, stream);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder decoder;
    decoder.feed(std::span(stream.data(), cut));
    auto got = drain(decoder);
    decoder.feed(std::span(stream.data() + cut, stream.size() - cut));
    for (auto& frame : drain(decoder))
      got.push_back(std::move(frame));
    INFO("cut at " << cut);
    checkSame(got, frames);
    CHECK(decoder.skippedBytes() == 0);
  }

  SECTION("and fed one byte at a time") {
    FrameDecoder decoder;
    std::vector<Frame> got;
    for (char c : stream) {
      decoder.feed(std::span(&c, 1));
      for (auto& frame : drain(decoder))
        got.push_back(std::move(frame));
    }
    checkSame(got, frames);
  }
}

TEST_CASE("garbage before and between frames is skipped and counted", "[kernel][agent]") {
  const std::string noise1 = "[    0.000000] Linux version 6.1 U UUU\r\n";
  const std::string noise2("UX\xff\x00Ugarbage", 12);
  std::string stream = noise1;
  encodeFrame({FrameType::Hello, 0, "r1"}, stream);
  stream += noise2;
  encodeFrame({FrameType::Stdout, 2, "data"}, stream);
  stream += "U"; // a trailing 'U' may start a header: it is held back, not counted yet

  FrameDecoder decoder;
  checkSame(decodeAll(stream, decoder), {{FrameType::Hello, 0, "r1"}, {FrameType::Stdout, 2, "data"}});
  CHECK(decoder.skippedBytes() == noise1.size() + noise2.size());

  decoder.feed(std::string_view("Z"));
  CHECK_FALSE(decoder.next());
  CHECK(decoder.skippedBytes() == noise1.size() + noise2.size() + 2);
}

TEST_CASE("a header that cannot be a frame is resynchronised past", "[kernel][agent]") {
  SECTION("an oversize length") {
    std::string bad = encoded({FrameType::Stdout, 1, "x"});
    bad[8] = '\x00';
    bad[9] = '\x01';
    bad[10] = '\x00';
    bad[11] = '\x01'; // kMaxPayload + 1
    std::string stream = bad + encoded({FrameType::Stdout, 1, "good"});
    FrameDecoder decoder;
    checkSame(decodeAll(stream, decoder), {{FrameType::Stdout, 1, "good"}});
    CHECK(decoder.skippedBytes() == bad.size());
  }
  SECTION("an unknown type") {
    std::string bad = encoded({FrameType::Stdout, 1, ""});
    bad[2] = '\x7f';
    FrameDecoder decoder;
    checkSame(decodeAll(bad + encoded({FrameType::Ping, 0, "p"}), decoder), {{FrameType::Ping, 0, "p"}});
    CHECK(decoder.skippedBytes() == kHeaderSize);
  }
  SECTION("a reserved byte that is not 0") {
    std::string bad = encoded({FrameType::Stdout, 1, ""});
    bad[3] = '\x01';
    FrameDecoder decoder;
    checkSame(decodeAll(bad + encoded({FrameType::Ping, 0, "p"}), decoder), {{FrameType::Ping, 0, "p"}});
    CHECK(decoder.skippedBytes() == kHeaderSize);
  }
  SECTION("the largest allowed payload is a frame") {
    FrameDecoder decoder;
    const std::string payload(kMaxPayload, 'x');
    checkSame(decodeAll(encoded({FrameType::Stdout, 9, payload}), decoder), {{FrameType::Stdout, 9, payload}});
  }
}

TEST_CASE("an exec request round-trips with argv, env and the stdin flag", "[kernel][agent]") {
  ExecRequest request;
  request.argv = {"sh", "-c", "test -z \"$1\" && echo $X", "sh", ""};
  request.env = {"X=a b=c", "EMPTY="};
  request.hasStdin = true;
  const std::string payload = encodeExecRequest(request);
  CHECK(payload.substr(0, 8) == std::string("\0\0\0\x01\0\0\0\x05", 8));
  auto decoded = decodeExecRequest(payload);
  REQUIRE(decoded);
  CHECK(decoded->argv == request.argv);
  CHECK(decoded->env == request.env);
  CHECK(decoded->hasStdin);

  request.hasStdin = false;
  request.env.clear();
  decoded = decodeExecRequest(encodeExecRequest(request));
  REQUIRE(decoded);
  CHECK_FALSE(decoded->hasStdin);
  CHECK(decoded->env.empty());
  CHECK(decoded->argv.back().empty());
}

TEST_CASE("malformed exec requests are refused", "[kernel][agent]") {
  const std::string head("\0\0\0\0\0\0\0\x01", 8);
  CHECK_FALSE(decodeExecRequest(""));
  CHECK_FALSE(decodeExecRequest(head.substr(0, 7)));
  CHECK_FALSE(decodeExecRequest(std::string("\0\0\0\0\0\0\0\0", 8) + std::string("ls\0", 3))); // argc 0
  CHECK_FALSE(decodeExecRequest(std::string("\0\0\0\x02\0\0\0\x01", 8) + std::string("ls\0", 3))); // flags
  CHECK_FALSE(decodeExecRequest(head));                                  // fewer strings than argc
  CHECK_FALSE(decodeExecRequest(head + "ls"));                           // no NUL
  CHECK_FALSE(decodeExecRequest(head + std::string("ls\0NOEQUALS\0", 12)));
  CHECK_FALSE(decodeExecRequest(head + std::string("ls\0=x\0", 6)));
  CHECK(decodeExecRequest(head + std::string("ls\0A=\0", 6)));
}

TEST_CASE("an exit status round-trips, negative codes included", "[kernel][agent]") {
  for (const ExitStatus status : {ExitStatus{7, 0, 0}, ExitStatus{137, 9, 0}, ExitStatus{127, 0, ENOENT},
                                  ExitStatus{-1, 0, 0}}) {
    const std::string payload = encodeExitStatus(status);
    REQUIRE(payload.size() == 12);
    auto decoded = decodeExitStatus(payload);
    REQUIRE(decoded);
    CHECK(decoded->code == status.code);
    CHECK(decoded->signal == status.signal);
    CHECK(decoded->startError == status.startError);
  }
  CHECK(encodeExitStatus({7, 0, 0}) == std::string("\0\0\0\x07\0\0\0\0\0\0\0\0", 12));
  CHECK_FALSE(decodeExitStatus(std::string(11, '\0')));
  CHECK_FALSE(decodeExitStatus(std::string(13, '\0')));
}
