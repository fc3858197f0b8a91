#pragma once
/// Capture files: writing Ethernet frames to a pcap file and reading them back from pcap or
/// pcapng.
///
/// Design notes
/// ------------
/// Both sides go through libpcap; this header keeps <pcap/pcap.h> out of every other module.
///
/// *Writing* produces the classic format of pcap-savefile(5): a 24-byte file header (magic
/// 0xa1b2c3d4 in the host's byte order, version 2.4, snapshot length 65535, link type
/// LINKTYPE_ETHERNET) and then one 16-byte record header plus the frame per frame, with
/// microsecond timestamps. It is what `pcap_open_dead(DLT_EN10MB, 65535)` and `pcap_dump_fopen`
/// write, so the same frames at the same times give the same bytes, which `umlab-mkcaptures`
/// relies on. A frame longer than the snapshot length is cut to it; its record still gives the
/// original size.
///
/// *Reading* accepts classic pcap (either byte order, micro- or nanosecond, and the "modified"
/// variant with 24-byte records) and pcapng (draft-ietf-opsawg-pcapng), as `pcap_open_offline`
/// does, and delivers timestamps in microseconds. Only Ethernet captures are accepted: that is
/// what a switch port carries.
///
/// Errors. A capture is user input, so a bad one is reported, never thrown or asserted: the
/// reader adds one error to a `Diagnostics` sink and returns nothing. Each message names the
/// file first and, for a bad frame, its 1-based number, then says what is wrong in the words of
/// the file format, e.g.
///
///     captures/x.pcap: frame 7 is truncated (header says 1514 bytes, file ends after 200)
///
/// libpcap's own texts ("truncated dump file; tried to read 1514 captured bytes, only got 200")
/// are replaced where the reader can say it better, and kept, after the file name, where it
/// cannot. Writing fails only for system reasons (a missing directory, a full disk); those
/// throw `std::system_error`, as RAII constructors do elsewhere in umlab (STYLE.md §9.4).

#include "umlab/base/diagnostics.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct pcap;
struct pcap_dumper;

namespace umlab::transports {

/// A frame's capture time: microseconds since the Unix epoch, UTC.
using PcapTimestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// The snapshot length `PcapWriter` declares and cuts frames to.
inline constexpr uint32_t kPcapSnapshotSize = 65535;

struct PcapCloser {
  void operator()(pcap* handle) const;
};
struct PcapDumperCloser {
  void operator()(pcap_dumper* dumper) const;
};
/// An open libpcap handle (a capture source or a "dead" handle for writing).
using PcapHandle = std::unique_ptr<pcap, PcapCloser>;
/// An open savefile; closing it flushes and closes its stream.
using PcapDumperHandle = std::unique_ptr<pcap_dumper, PcapDumperCloser>;

/// Writes Ethernet frames to a classic pcap file. Move-only; the destructor closes the file
/// but cannot report a failure, so callers that care call `close()` first.
class PcapWriter {
public:
  /// Creates `path`, or truncates it, and writes the file header. Throws `std::system_error`
  /// ("create <path>: <reason>") when the file cannot be created.
  static PcapWriter create(const std::string& path);
  /// Writes to a duplicate of the open descriptor `fd` (STDOUT_FILENO for "-w -"). `fd` stays
  /// open and belongs to the caller, who should flush whatever it buffered for `fd` first.
  /// `name` stands for the file in error messages, e.g. "<stdout>".
  static PcapWriter toFd(int fd, std::string name);

  PcapWriter(PcapWriter&&) noexcept = default;
  PcapWriter& operator=(PcapWriter&&) noexcept = default;
  ~PcapWriter() = default;

  /// Appends one frame captured at `timestamp` (at or after the epoch). Frames longer than
  /// `kPcapSnapshotSize` are cut to it. Errors surface at `flush()` or `close()`.
  void write(PcapTimestamp timestamp, std::span<const uint8_t> frame);
  /// Pushes buffered frames to the file. Throws `std::system_error` ("write <name>: …").
  void flush();
  /// Flushes and closes the file; `write` must not be called afterwards. Throws like `flush`.
  void close();

  const std::string& name() const { return name_; }
  uint64_t frameCount() const { return frameCount_; }

private:
  PcapWriter(std::string name, PcapHandle handle, PcapDumperHandle dumper);

  std::string name_;
  PcapHandle handle_; ///< the "dead" handle that gives the dumper its link type
  PcapDumperHandle dumper_;
  uint64_t frameCount_ = 0;
};

/// One frame read from a capture.
struct PcapFrame {
  uint64_t number = 0;       ///< 1-based position in the file, as Wireshark counts
  PcapTimestamp timestamp{};
  uint32_t wireSize = 0;     ///< the frame's size on the wire; `data` may hold fewer bytes
  std::vector<uint8_t> data; ///< the captured bytes, starting with the Ethernet header
};

enum class PcapFormat { Pcap, Pcapng };

/// Reads the frames of a pcap or pcapng capture in file order. Move-only.
class PcapReader {
public:
  /// Opens `path` and checks that it is a capture of Ethernet frames. On failure adds one error
  /// naming `path` to `diags` and returns nothing.
  static std::optional<PcapReader> open(const std::string& path, Diagnostics& diags);

  PcapReader(PcapReader&&) noexcept = default;
  PcapReader& operator=(PcapReader&&) noexcept = default;
  ~PcapReader() = default;

  /// The next frame, or nothing at the end of the capture or when the next frame cannot be
  /// read. In the second case one error naming the file and the frame number is added to
  /// `diags`, `hasFailed()` turns true and every later call returns nothing.
  std::optional<PcapFrame> next(Diagnostics& diags);

  bool hasFailed() const { return hasFailed_; }
  const std::string& path() const { return path_; }
  PcapFormat format() const { return format_; }
  /// The snapshot length the file declares (for pcapng, the first interface's).
  uint32_t snapshotSize() const { return snapshotSize_; }

private:
  PcapReader(std::string path, PcapHandle handle, std::optional<uint64_t> fileSize,
             PcapFormat format, bool isSwapped, size_t recordHeaderSize);
  /// Says why frame `number`, whose data starts at byte `offset` of the file, could not be
  /// read; `pcapError` is libpcap's account, used when the file itself does not say more.
  std::string describeBadFrame(uint64_t number, long offset, const std::string& pcapError) const;

  std::string path_;
  PcapHandle handle_;
  std::optional<uint64_t> fileSize_; ///< known for regular files only
  PcapFormat format_ = PcapFormat::Pcap;
  bool isSwapped_ = false; ///< the file's byte order is not the host's
  size_t recordHeaderSize_ = 16; ///< per frame in classic pcap; 24 in the "modified" variant
  uint32_t snapshotSize_ = 0;
  uint64_t frameCount_ = 0;
  bool isAtEnd_ = false;
  bool hasFailed_ = false;
};

/// Every frame of `path`, or nothing after adding one error to `diags`.
std::optional<std::vector<PcapFrame>> readPcapFile(const std::string& path, Diagnostics& diags);

} // namespace umlab::transports
