#include "umlab/lab/runtime/sparse_copy.hpp"

#include "umlab/base/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace umlab::lab::runtime {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

/// Copies [offset, end) of `in` to the same offsets of `out`: copy_file_range, else
/// read/write that skips all-zero blocks (they stay holes).
void copyRange(int in, int out, off_t offset, off_t end, const std::string& from, const std::string& to) {
  bool useKernel = true;
  std::vector<char> buf;
  while (offset < end) {
    const size_t want = static_cast<size_t>(std::min<off_t>(end - offset, off_t(1) << 30));
    if (useKernel) {
      off_t inOff = offset, outOff = offset;
      const ssize_t n = ::copy_file_range(in, &inOff, out, &outOff, want, 0);
      if (n > 0) {
        offset += n;
        continue;
      }
      if (n == 0)
        break; // the source shrank
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        fail("copy_file_range", from + " -> " + to);
      useKernel = false;
    }
    buf.resize(65536);
    const ssize_t n = ::pread(in, buf.data(), std::min(want, buf.size()), offset);
    if (n < 0)
      fail("read", from);
    if (n == 0)
      break;
    const bool allZero = std::all_of(buf.begin(), buf.begin() + n, [](char c) { return c == 0; });
    if (!allZero && ::pwrite(out, buf.data(), static_cast<size_t>(n), offset) != n)
      fail("write", to);
    offset += n;
  }
}

} // namespace

void copySparseFile(const std::string& from, const std::string& to, unsigned mode) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in)
    fail("open", from);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0)
    fail("stat", from);
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    fail("copy (not a regular file)", from);
  }
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!out)
    fail("create", to);
  struct Remove {
    const std::string& path;
    bool isDone = false;
    ~Remove() {
      if (!isDone)
        ::unlink(path.c_str());
    }
  } removeUnlessDone{to};
  const off_t size = st.st_size;
  off_t at = 0;
  while (at < size) {
    off_t data = ::lseek(in.get(), at, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO)
        break; // only a hole is left
      if (errno != EINVAL)
        fail("lseek", from);
      copyRange(in.get(), out.get(), at, size, from, to); // no extent map here: one extent
      break;
    }
    off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0)
      hole = size;
    copyRange(in.get(), out.get(), data, hole, from, to);
    at = hole;
  }
  if (::ftruncate(out.get(), size) != 0)
    fail("truncate", to);
  if (::fsync(out.get()) != 0)
    fail("fsync", to);
  removeUnlessDone.isDone = true;
}

uint64_t allocatedSize(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

uint64_t allocatedTreeSize(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
    if (e.is_regular_file(ec) && !e.is_symlink(ec))
      total += allocatedSize(e.path().string());
  return total;
}

} // namespace umlab::lab::runtime
