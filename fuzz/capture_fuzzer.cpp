// libFuzzer target: arbitrary bytes as a capture file, read frame by frame with PcapReader, the
// way `umlab replay` streams a capture (pcap in either byte order, micro- or nanoseconds, the
// "modified" variant, pcapng).
// Nothing here may crash, read outside a buffer, leak or trip a sanitizer: captures come from
// users. Promises checked on top: a capture that does not open says why; frames are numbered 1,
// 2, 3... with no more data than the file has; a read that stops early has exactly one
// error, naming the file and the frame number, and after it the reader stays stopped.

#include "umlab/base/diagnostics.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace umlab;
using namespace umlab::transports;

/// One in-memory file for every input, reached by path as PcapReader::open needs.
int captureFile() {
  static const int fd = ::memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0)
    std::abort();
  return fd;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = captureFile();
  if (::ftruncate(fd, 0) != 0 || (size > 0 && ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)))
    std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);

  Diagnostics diags(1000);
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  if (!reader) {
    if (diags.errorCount() != 1 || diags.all().front().message.find(path) == std::string::npos)
      std::abort();
    return 0;
  }
  if (diags.errorCount() != 0)
    std::abort();
  uint64_t expected = 0;
  while (std::optional<PcapFrame> frame = reader->next(diags)) {
    if (frame->number != ++expected || frame->data.size() > size)
      std::abort();
  }
  if (reader->hasFailed()) {
    const std::string& message = diags.all().at(0).message;
    if (diags.errorCount() != 1 || message.find(path) == std::string::npos ||
        message.find("frame " + std::to_string(expected + 1)) == std::string::npos)
      std::abort();
  } else if (diags.errorCount() != 0) {
    std::abort();
  }
  if (reader->next(diags) || diags.errorCount() > 1) // stays at its end or its error
    std::abort();
  return 0;
}
