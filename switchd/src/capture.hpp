#pragma once
// What the segment carried, kept for the user (internal to switchd/src): the capture file
// (--capture, 'capture start') and the capture ring ('capture dump').
//
// Every frame that enters the segment is recorded once, after its ingress port's conditions and
// before it is forwarded, at the capture time of its burst. Recording copies the frame into the
// ring and, while a file is open, into the file's buffer; it does not throw. The file is flushed
// every tick; a file that fails (a full disk) stops the capture with a message in the log.

#include "umlab/switchd/capture_ring.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace umlab::switchd {

/// The wall-clock time a frame is captured at.
inline WallTime wallNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

class Capture {
public:
  /// `ringBytes` 0: no ring.
  explicit Capture(size_t ringBytes) : ring_(ringBytes) {}

  void record(WallTime time, std::span<const uint8_t> frame) noexcept {
    ring_.append(time, frame);
    if (file_) {
      file_->write(time, frame);
      ++fileFrames_;
    }
  }

  bool isFileOpen() const { return file_.has_value(); }

  // The admin commands; each returns its reply ("error: ..." when it fails).

  /// 'capture start FILE': creates FILE and records into it from now on.
  std::string start(const std::string& path);
  /// 'capture stop': closes the file.
  std::string stop();
  /// 'capture dump FILE [DURATION]': writes the ring (its last DURATION) to FILE.
  std::string dump(const std::string& path, std::optional<std::string_view> duration);
  /// 'show capture'.
  std::string describe() const;

  /// Pushes the file's buffered frames out; a failure stops the capture, logged.
  void flush();

private:
  CaptureRing ring_;
  std::optional<transports::PcapWriter> file_;
  uint64_t fileFrames_ = 0;
};

} // namespace umlab::switchd
