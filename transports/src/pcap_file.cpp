#include "umlab/transports/pcap_file.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab::transports {

void PcapCloser::operator()(pcap* handle) const { pcap_close(handle); }
void PcapDumperCloser::operator()(pcap_dumper* dumper) const { pcap_dump_close(dumper); }

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FileHandle = std::unique_ptr<FILE, FileCloser>;

[[noreturn]] void throwErrno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

std::string errnoText(int error) { return std::generic_category().message(error); }

// File and record layout of pcap-savefile(5) and the pcapng draft, as far as the reader looks.
constexpr size_t kPcapFileHeaderSize = 24;
constexpr size_t kPcapRecordHeaderSize = 16;
constexpr size_t kModifiedPcapRecordHeaderSize = 24; // adds interface, protocol, packet type
constexpr size_t kPcapngBlockHeaderSize = 8;  // block type, block total length
constexpr size_t kPcapngMinBlockSize = 12;    // ... plus the trailing total length
constexpr size_t kPcapngByteOrderOffset = 8;  // in the section header block
constexpr uint32_t kPcapMagicMicros = 0xa1b2c3d4;
constexpr uint32_t kPcapMagicNanos = 0xa1b23c4d;
constexpr uint32_t kPcapMagicModified = 0xa1b2cd34; // Alexey Kuznetzov's patched libpcap
constexpr uint32_t kPcapngSectionHeader = 0x0a0d0d0a;
constexpr uint32_t kPcapngByteOrderMagic = 0x1a2b3c4d;

uint32_t loadHost32(const uint8_t* p) {
  uint32_t v;
  std::copy(p, p + 4, reinterpret_cast<uint8_t*>(&v));
  return v;
}

uint32_t byteSwap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/// Reads exactly `size` bytes at `offset` without moving the stream's position.
bool readAt(FILE* file, uint64_t offset, uint8_t* out, size_t size) {
  ssize_t n = ::pread(fileno(file), out, size, static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(size);
}

std::string hexBytes(const uint8_t* p, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    if (i)
      s += ' ';
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 0xf];
  }
  return s;
}

std::string linkTypeName(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  const char* description = pcap_datalink_val_to_description(dlt);
  if (!name)
    return "number " + std::to_string(dlt);
  std::string s = name;
  if (description)
    s += std::string(" (") + description + ")";
  return s;
}

PcapHandle openDeadEthernet() {
  PcapHandle handle(pcap_open_dead(DLT_EN10MB, static_cast<int>(kPcapSnapshotSize)));
  if (!handle)
    throw std::system_error(std::make_error_code(std::errc::not_enough_memory), "pcap_open_dead");
  return handle;
}

} // namespace

// ---- PcapWriter ------------------------------------------------------------------------------

PcapWriter::PcapWriter(std::string name, PcapHandle handle, PcapDumperHandle dumper)
    : name_(std::move(name)), handle_(std::move(handle)), dumper_(std::move(dumper)) {}

PcapWriter PcapWriter::create(const std::string& path) {
  // Open the stream ourselves: pcap_dump_open would lose errno in its error text.
  FileHandle file(std::fopen(path.c_str(), "wb"));
  if (!file)
    throwErrno(errno, "create " + path);
  PcapHandle handle = openDeadEthernet();
  PcapDumperHandle dumper(pcap_dump_fopen(handle.get(), file.get()));
  if (!dumper)
    throwErrno(errno ? errno : EIO, "create " + path + ": " + pcap_geterr(handle.get()));
  file.release(); // the dumper closes it now
  return PcapWriter(path, std::move(handle), std::move(dumper));
}

PcapWriter PcapWriter::toFd(int fd, std::string name) {
  int copy = ::dup(fd);
  if (copy < 0)
    throwErrno(errno, "dup " + name);
  FileHandle file(::fdopen(copy, "wb"));
  if (!file) {
    int error = errno;
    ::close(copy);
    throwErrno(error, "fdopen " + name);
  }
  PcapHandle handle = openDeadEthernet();
  PcapDumperHandle dumper(pcap_dump_fopen(handle.get(), file.get()));
  if (!dumper)
    throwErrno(errno ? errno : EIO, "write " + name + ": " + pcap_geterr(handle.get()));
  file.release();
  return PcapWriter(std::move(name), std::move(handle), std::move(dumper));
}

void PcapWriter::write(PcapTimestamp timestamp, std::span<const uint8_t> frame) {
  assert(dumper_ && "write after close");
  const auto sinceEpoch = timestamp.time_since_epoch().count();
  assert(sinceEpoch >= 0);
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(sinceEpoch / 1'000'000);
  header.ts.tv_usec = static_cast<suseconds_t>(sinceEpoch % 1'000'000);
  header.len = static_cast<bpf_u_int32>(frame.size());
  header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(frame.size(), kPcapSnapshotSize));
  pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &header, frame.data());
  ++frameCount_;
}

void PcapWriter::flush() {
  if (!dumper_)
    return;
  FILE* file = pcap_dump_file(dumper_.get());
  if (pcap_dump_flush(dumper_.get()) != 0 || std::ferror(file))
    throwErrno(errno ? errno : EIO, "write " + name_);
}

void PcapWriter::close() {
  if (!dumper_)
    return;
  flush();
  dumper_.reset();
  handle_.reset();
}

// ---- PcapReader ------------------------------------------------------------------------------

PcapReader::PcapReader(std::string path, PcapHandle handle, std::optional<uint64_t> fileSize,
                       PcapFormat format, bool isSwapped, size_t recordHeaderSize)
    : path_(std::move(path)), handle_(std::move(handle)), fileSize_(fileSize), format_(format),
      isSwapped_(isSwapped), recordHeaderSize_(recordHeaderSize),
      snapshotSize_(static_cast<uint32_t>(pcap_snapshot(handle_.get()))) {}

std::optional<PcapReader> PcapReader::open(const std::string& path, Diagnostics& diags) {
  auto fail = [&](const std::string& why) -> std::optional<PcapReader> {
    diags.error({}, path + ": " + why);
    return std::nullopt;
  };

  FileHandle file(std::fopen(path.c_str(), "rb"));
  if (!file)
    return fail("cannot open: " + errnoText(errno));
  struct stat st {};
  if (::fstat(fileno(file.get()), &st) != 0)
    return fail("cannot open: " + errnoText(errno));
  if (S_ISDIR(st.st_mode))
    return fail("is a directory, not a capture file");

  // libpcap's own words for these cases are "truncated dump file; tried to read 4 file header
  // bytes, only got 0" and "unknown file format"; look at the header first to say more.
  PcapFormat format = PcapFormat::Pcap;
  bool isSwapped = false;
  size_t recordHeaderSize = kPcapRecordHeaderSize;
  std::optional<uint64_t> fileSize;
  if (S_ISREG(st.st_mode)) {
    fileSize = static_cast<uint64_t>(st.st_size);
    std::array<uint8_t, kPcapFileHeaderSize> head{};
    size_t headSize = std::fread(head.data(), 1, head.size(), file.get());
    if (std::ferror(file.get()))
      return fail("cannot read: " + errnoText(errno));
    if (std::fseek(file.get(), 0, SEEK_SET) != 0)
      return fail("cannot read: " + errnoText(errno));
    if (headSize == 0)
      return fail("file is empty; expected a pcap or pcapng capture");
    if (headSize < 4)
      return fail("file is too short to be a capture (" + std::to_string(headSize) + " bytes)");
    const uint32_t magic = loadHost32(head.data());
    if (magic == kPcapMagicModified || magic == byteSwap32(kPcapMagicModified))
      recordHeaderSize = kModifiedPcapRecordHeaderSize;
    if (magic == kPcapMagicMicros || magic == kPcapMagicNanos || magic == kPcapMagicModified) {
      format = PcapFormat::Pcap;
    } else if (magic == byteSwap32(kPcapMagicMicros) || magic == byteSwap32(kPcapMagicNanos) ||
               magic == byteSwap32(kPcapMagicModified)) {
      format = PcapFormat::Pcap;
      isSwapped = true;
    } else if (magic == kPcapngSectionHeader) {
      format = PcapFormat::Pcapng;
      if (headSize >= kPcapngByteOrderOffset + 4)
        isSwapped = loadHost32(head.data() + kPcapngByteOrderOffset) != kPcapngByteOrderMagic;
    } else {
      return fail("not a pcap or pcapng file (it starts with " + hexBytes(head.data(), 4) +
                  "; a pcap file starts with a1 b2 c3 d4 or d4 c3 b2 a1, "
                  "a pcapng file with 0a 0d 0d 0a)");
    }
    if (format == PcapFormat::Pcap && headSize < kPcapFileHeaderSize)
      return fail("file header is truncated (a pcap file header has " +
                  std::to_string(kPcapFileHeaderSize) + " bytes, the file has " +
                  std::to_string(headSize) + ")");
  }

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle handle(pcap_fopen_offline(file.get(), errbuf));
  if (!handle)
    return fail(std::string("bad file header: ") + errbuf); // the file is still ours to close
  file.release();                                           // and now the handle's

  const int linkType = pcap_datalink(handle.get());
  if (linkType != DLT_EN10MB)
    return fail("link-layer type is " + linkTypeName(linkType) +
                "; only Ethernet (EN10MB) captures can be replayed into a lab");
  if (format == PcapFormat::Pcap && !fileSize)
    isSwapped = pcap_is_swapped(handle.get()) == 1;
  return PcapReader(path, std::move(handle), fileSize, format, isSwapped, recordHeaderSize);
}

std::optional<PcapFrame> PcapReader::next(Diagnostics& diags) {
  if (isAtEnd_ || hasFailed_)
    return std::nullopt;
  FILE* file = pcap_file(handle_.get());
  const long offset = file ? std::ftell(file) : -1;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int status = pcap_next_ex(handle_.get(), &header, &data);
  if (status == 1) {
    // pcapng's 64-bit timestamps reach far beyond what microseconds since 1970 can hold.
    constexpr auto kLatest = std::chrono::duration_cast<std::chrono::seconds>(PcapTimestamp::duration::max()).count() - 1;
    if (header->ts.tv_sec < 0 || header->ts.tv_sec > kLatest) {
      hasFailed_ = true;
      diags.error({}, path_ + ": frame " + std::to_string(frameCount_ + 1) + " has a timestamp out of range (" +
                          std::to_string(header->ts.tv_sec) + " seconds since 1970)");
      return std::nullopt;
    }
    PcapFrame frame;
    frame.number = ++frameCount_;
    frame.timestamp = PcapTimestamp(std::chrono::seconds(header->ts.tv_sec) +
                                    std::chrono::microseconds(header->ts.tv_usec));
    frame.wireSize = header->len;
    frame.data.assign(data, data + header->caplen);
    return frame;
  }
  if (status == PCAP_ERROR_BREAK) { // a savefile's end
    isAtEnd_ = true;
    return std::nullopt;
  }
  hasFailed_ = true;
  diags.error({}, describeBadFrame(frameCount_ + 1, offset, pcap_geterr(handle_.get())));
  return std::nullopt;
}

std::string PcapReader::describeBadFrame(uint64_t number, long offset,
                                         const std::string& pcapError) const {
  const std::string subject = path_ + ": frame " + std::to_string(number);
  FILE* file = pcap_file(handle_.get());
  if (!fileSize_ || !file || offset < 0 || static_cast<uint64_t>(offset) > *fileSize_)
    return subject + " cannot be read: " + pcapError;
  auto decode = [&](const uint8_t* p) {
    uint32_t v = loadHost32(p);
    return isSwapped_ ? byteSwap32(v) : v;
  };

  uint64_t at = static_cast<uint64_t>(offset);
  if (format_ == PcapFormat::Pcap) {
    const uint64_t left = *fileSize_ - at;
    if (left < recordHeaderSize_)
      return subject + " is truncated (file ends " + std::to_string(left) + " bytes into its " +
             std::to_string(recordHeaderSize_) + "-byte record header)";
    std::array<uint8_t, kPcapRecordHeaderSize> record{}; // the captured size is in the first 16
    if (readAt(file, at, record.data(), record.size())) {
      const uint32_t capturedSize = decode(record.data() + 8);
      const uint64_t dataLeft = left - recordHeaderSize_;
      if (capturedSize > dataLeft)
        return subject + " is truncated (header says " + std::to_string(capturedSize) +
               " bytes, file ends after " + std::to_string(dataLeft) + ")";
    }
  } else {
    // libpcap may read several blocks (interface descriptions, statistics, name resolution)
    // before the next packet; find the one that runs past the end of the file.
    while (at < *fileSize_) {
      const uint64_t left = *fileSize_ - at;
      if (left < kPcapngBlockHeaderSize)
        return subject + " is truncated (file ends " + std::to_string(left) +
               " bytes into a block header)";
      std::array<uint8_t, kPcapngBlockHeaderSize> block{};
      if (!readAt(file, at, block.data(), block.size()))
        break;
      const uint32_t blockSize = decode(block.data() + 4);
      if (blockSize < kPcapngMinBlockSize || blockSize % 4 != 0)
        break; // corrupt rather than cut short: libpcap's words fit
      if (blockSize > left)
        return subject + " is truncated (block header says " + std::to_string(blockSize) +
               " bytes, file ends after " + std::to_string(left) + ")";
      at += blockSize;
    }
  }
  return subject + " cannot be read: " + pcapError;
}

std::optional<std::vector<PcapFrame>> readPcapFile(const std::string& path, Diagnostics& diags) {
  std::optional<PcapReader> reader = PcapReader::open(path, diags);
  if (!reader)
    return std::nullopt;
  std::vector<PcapFrame> frames;
  while (std::optional<PcapFrame> frame = reader->next(diags))
    frames.push_back(std::move(*frame));
  if (reader->hasFailed())
    return std::nullopt;
  return frames;
}

} // namespace umlab::transports
