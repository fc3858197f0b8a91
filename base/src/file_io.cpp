#include "umlab/base/file_io.hpp"

#include "umlab/base/unique_fd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab {

namespace {
[[noreturn]] void throwErrno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }
} // namespace

void writeFileAtomically(const std::string& path, std::string_view text) {
  const std::string pattern = path + ".XXXXXX";
  std::string temp = pattern;
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd)
    throwErrno("mkstemp " + pattern);
  // Removes the temporary file on every way out but the rename.
  struct RemoveTemp {
    const std::string* path;
    ~RemoveTemp() {
      if (path)
        ::unlink(path->c_str());
    }
  } removeTemp{&temp};

  if (::fchmod(fd.get(), 0600) != 0)
    throwErrno("chmod " + temp);
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throwErrno("write " + temp);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0)
    throwErrno("fsync " + temp);
  if (::close(fd.release()) != 0)
    throwErrno("close " + temp);
  if (::rename(temp.c_str(), path.c_str()) != 0)
    throwErrno("rename " + temp + " to " + path);
  removeTemp.path = nullptr;
}

std::optional<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string readFileOrEmpty(const std::string& path) { return readWholeFile(path).value_or(""); }

} // namespace umlab
