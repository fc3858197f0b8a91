#include "capture.hpp"

#include "umlab/base/quantity.hpp"

#include <cstdio>
#include <sstream>
#include <system_error>

namespace umlab::switchd {

std::string Capture::start(const std::string& path) {
  if (file_)
    return "error: already capturing to " + file_->name() + "; 'capture stop' first";
  try {
    file_.emplace(transports::PcapWriter::create(path));
    // The header reaches the file at once: a reader that sees it knows the capture is running.
    file_->flush();
  } catch (const std::system_error& e) {
    return "error: " + std::string(e.what());
  }
  fileFrames_ = 0;
  return "capturing to " + path;
}

std::string Capture::stop() {
  if (!file_)
    return "error: not capturing";
  std::string result = "captured " + std::to_string(fileFrames_) + " frames to " + file_->name();
  try {
    file_->close();
  } catch (const std::system_error& e) {
    result = "error: " + std::string(e.what());
  }
  file_.reset();
  return result;
}

std::string Capture::dump(const std::string& path, std::optional<std::string_view> duration) {
  std::optional<WallTime> since;
  if (duration) {
    std::optional<std::chrono::nanoseconds> d = parseDuration(*duration);
    if (!d)
      return "error: bad duration '" + std::string(*duration) + "' (e.g. 60s, 500ms, 5m)";
    since = wallNow() - std::chrono::duration_cast<std::chrono::microseconds>(*d);
  }
  try {
    transports::PcapWriter w = transports::PcapWriter::create(path);
    const size_t n = ring_.forEachSince(since.value_or(WallTime{}),
                                        [&](WallTime t, std::span<const uint8_t> f, uint32_t) { w.write(t, f); });
    w.close();
    return "dumped " + std::to_string(n) + " frames to " + path;
  } catch (const std::system_error& e) {
    return "error: " + std::string(e.what());
  }
}

std::string Capture::describe() const {
  std::ostringstream s;
  s << "file=" << (file_ ? file_->name() : "-") << '\n'
    << "file_frames=" << (file_ ? fileFrames_ : 0) << '\n'
    << "ring_bytes=" << ring_.capacityBytes() << '\n'
    << "ring_used_bytes=" << ring_.usedBytes() << '\n'
    << "ring_frames=" << ring_.frameCount() << '\n'
    << "ring_forgotten=" << ring_.forgotten() << '\n';
  if (ring_.frameCount() > 0)
    s << "ring_oldest_age_ms="
      << std::chrono::duration_cast<std::chrono::milliseconds>(wallNow() - ring_.oldest()).count() << '\n';
  return s.str();
}

void Capture::flush() {
  if (!file_)
    return;
  try {
    file_->flush();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "umlab-switchd: capture stopped: %s\n", e.what());
    file_.reset();
  }
}

} // namespace umlab::switchd
