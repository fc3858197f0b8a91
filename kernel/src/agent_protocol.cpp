#include "umlab/kernel/agent_protocol.hpp"

#include <cassert>
#include <cstring>

namespace umlab::kernel::agent {

namespace {

constexpr char kMagic0 = 'U';
constexpr char kMagic1 = 'A';
constexpr uint32_t kStdinFlag = 1;

void putBe32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t be32(const char* p) {
  auto b = [p](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

bool isKnownType(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
  case FrameType::Hello:
  case FrameType::Stdout:
  case FrameType::Stderr:
  case FrameType::Exit:
  case FrameType::Pong:
  case FrameType::Exec:
  case FrameType::Stdin:
  case FrameType::Signal:
  case FrameType::Ping:
    return true;
  }
  return false;
}

} // namespace

void encodeFrame(const Frame& frame, std::string& out) {
  assert(frame.payload.size() <= kMaxPayload);
  out.reserve(out.size() + kHeaderSize + frame.payload.size());
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(static_cast<char>(frame.type));
  out.push_back('\0');
  putBe32(out, frame.id);
  putBe32(out, static_cast<uint32_t>(frame.payload.size()));
  out += frame.payload;
}

void FrameDecoder::feed(std::span<const char> bytes) {
  // Drop what next() has consumed once it is at least half the buffer, so that appending stays
  // amortised O(n) and the buffer never holds more than about two frames.
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

std::optional<Frame> FrameDecoder::next() {
  for (;;) {
    const size_t available = buffer_.size() - start_;
    if (available == 0)
      return std::nullopt;
    const char* p = buffer_.data() + start_;
    // Find the next magic; everything before it is noise.
    size_t at = 0;
    while (at < available && !(p[at] == kMagic0 && (at + 1 == available || p[at + 1] == kMagic1)))
      ++at;
    skipped_ += at;
    start_ += at;
    p += at;
    if (available - at < kHeaderSize)
      return std::nullopt; // a (possibly partial) header: wait for more bytes
    const auto type = static_cast<uint8_t>(p[2]);
    const uint32_t length = be32(p + 8);
    if (!isKnownType(type) || p[3] != '\0' || length > kMaxPayload) {
      // Not a header after all: skip its 'U' and look for the next magic.
      ++skipped_;
      ++start_;
      continue;
    }
    if (available - at < kHeaderSize + length)
      return std::nullopt;
    Frame frame;
    frame.type = static_cast<FrameType>(type);
    frame.id = be32(p + 4);
    frame.payload.assign(p + kHeaderSize, length);
    start_ += kHeaderSize + length;
    return frame;
  }
}

std::string encodeExecRequest(const ExecRequest& request) {
  std::string out;
  putBe32(out, request.hasStdin ? kStdinFlag : 0);
  putBe32(out, static_cast<uint32_t>(request.argv.size()));
  for (const auto& arg : request.argv) {
    out += arg;
    out.push_back('\0');
  }
  for (const auto& entry : request.env) {
    out += entry;
    out.push_back('\0');
  }
  return out;
}

std::optional<ExecRequest> decodeExecRequest(const std::string& payload) {
  if (payload.size() < 8)
    return std::nullopt;
  const uint32_t flags = be32(payload.data());
  const uint32_t argc = be32(payload.data() + 4);
  if ((flags & ~kStdinFlag) != 0 || argc == 0)
    return std::nullopt;
  ExecRequest request;
  request.hasStdin = (flags & kStdinFlag) != 0;
  size_t at = 8;
  while (at < payload.size()) {
    const size_t end = payload.find('\0', at);
    if (end == std::string::npos)
      return std::nullopt; // every string is NUL-terminated
    std::string text = payload.substr(at, end - at);
    at = end + 1;
    if (request.argv.size() < argc) {
      request.argv.push_back(std::move(text));
      continue;
    }
    const size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0)
      return std::nullopt; // an environment entry is NAME=value
    request.env.push_back(std::move(text));
  }
  if (request.argv.size() != argc)
    return std::nullopt;
  return request;
}

std::string encodeExitStatus(const ExitStatus& status) {
  std::string out;
  putBe32(out, static_cast<uint32_t>(status.code));
  putBe32(out, status.signal);
  putBe32(out, status.startError);
  return out;
}

std::optional<ExitStatus> decodeExitStatus(const std::string& payload) {
  if (payload.size() != 12)
    return std::nullopt;
  ExitStatus status;
  status.code = static_cast<int32_t>(be32(payload.data()));
  status.signal = be32(payload.data() + 4);
  status.startError = be32(payload.data() + 8);
  return status;
}

} // namespace umlab::kernel::agent
