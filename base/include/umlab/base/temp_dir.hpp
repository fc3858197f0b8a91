#pragma once
/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction: the
/// RAII owner of a scratch path (tests, benchmarks, work trees).

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace umlab {

class TempDir {
public:
  /// `prefix` names the directory, as in /tmp/<prefix>-Ab12Cd. Throws std::system_error.
  explicit TempDir(const std::string& prefix = "umlab") {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

} // namespace umlab
