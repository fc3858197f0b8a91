#pragma once
/// The agent protocol: how `umlab exec` runs a command in a guest without any network.
///
/// The supervisor gives each guest one end of a socketpair as its serial line 1
/// (`ssl1=fd:3`); inside the guest `umlab-agent` owns /dev/ttyS1, puts it in raw mode
/// (cfmakeraw: no echo, no CR/LF mapping, no flow control), and speaks this protocol on it.
/// The stream carries frames; every frame is
///
///   off size  field
///     0    2  magic "UA"
///     2    1  type (FrameType)
///     3    1  reserved, 0
///     4    4  id: the exec request the frame belongs to (0 for HELLO/PING/PONG), big-endian
///     8    4  payload length, big-endian, at most kMaxPayload
///    12    n  payload
///
/// A reader that meets bytes that are not a frame header (boot noise on the line before the
/// agent started, a corrupt frame) skips forward to the next "UA" magic; `FrameDecoder` does
/// this and counts what it skipped.
///
///   guest -> host  HELLO   payload: the guest's hostname; sent once when the agent starts, and
///                          again in answer to PING with id 0 (readiness)
///                  STDOUT / STDERR  payload: output bytes of request `id`, in order
///                  EXIT    payload: ExitStatus (12 bytes), the last frame of request `id`
///                  PONG    payload: copied from the PING
///   host -> guest  EXEC    payload: ExecRequest; starts request `id`
///                  STDIN   payload: input bytes for request `id`; an empty payload closes it
///                  SIGNAL  payload: 1 byte, a signal number for request `id`'s process group
///                  PING    payload: anything up to 64 bytes
///
/// Output of any size is streamed in frames of at most kMaxPayload; the host applies the
/// timeout (sending SIGNAL SIGKILL) so a guest cannot keep a client waiting forever.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace umlab::kernel::agent {

constexpr uint32_t kMaxPayload = 65536;
constexpr size_t kHeaderSize = 12;

enum class FrameType : uint8_t {
  Hello = 1,
  Stdout = 2,
  Stderr = 3,
  Exit = 4,
  Pong = 5,
  Exec = 16,
  Stdin = 17,
  Signal = 18,
  Ping = 19,
};

struct Frame {
  FrameType type = FrameType::Ping;
  uint32_t id = 0;
  std::string payload;
};

/// Appends the encoded frame to `out`. The payload must be at most kMaxPayload bytes.
void encodeFrame(const Frame& frame, std::string& out);

/// Incremental decoder for a byte stream.
class FrameDecoder {
public:
  /// Feeds bytes; complete frames become available through next().
  void feed(std::span<const char> bytes);
  std::optional<Frame> next();
  /// Bytes dropped while looking for a frame header (boot noise, corruption).
  uint64_t skippedBytes() const { return skipped_; }

private:
  std::string buffer_;
  size_t start_ = 0;
  uint64_t skipped_ = 0;
};

/// EXEC payload: flags, the argument count, then argv and the environment entries
/// "NAME=value" as NUL-terminated strings. The count (rather than an empty string ending argv)
/// lets an argument be empty, as in `test -z ""`.
///   off size field
///     0    4  flags, big-endian: bit 0 = the command reads stdin (else it gets /dev/null);
///             other bits are 0
///     4    4  argc, big-endian, at least 1
///     8    *  argv[0] NUL ... argv[argc-1] NUL env[0] NUL ... env[n-1] NUL
/// The whole payload must fit in kMaxPayload; the host checks the encoded size before sending.
struct ExecRequest {
  std::vector<std::string> argv; ///< run with execvp: argv[0] is looked up in PATH
  std::vector<std::string> env;  ///< added to the agent's environment
  bool hasStdin = false;
};
std::string encodeExecRequest(const ExecRequest& request);
/// nullopt when the payload is malformed: unknown flags, argc 0, a string without its NUL,
/// fewer strings than argc, or an environment entry without "NAME=".
std::optional<ExecRequest> decodeExecRequest(const std::string& payload);

/// EXIT payload: 4 bytes each, big-endian.
struct ExitStatus {
  int32_t code = 0;        ///< exit code, or 128 + signal when killed by a signal
  uint32_t signal = 0;     ///< the signal that killed it, 0 if it exited
  uint32_t startError = 0; ///< errno when the command could not be started (e.g. ENOENT), else 0
};
std::string encodeExitStatus(const ExitStatus& status);
std::optional<ExitStatus> decodeExitStatus(const std::string& payload);

} // namespace umlab::kernel::agent
