#pragma once
/// Source files and locations.
///
/// Every value read from a topology file carries a `SourceLoc` so that any later stage can point
/// at it. A `SourceLoc` refers to a `SourceFile` owned by a `SourceManager`, which must outlive
/// every location and diagnostic that names one (as in LLVM's SourceMgr). Lines and columns are
/// 1-based; 0 means "unknown" (a whole-file location).

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace umlab {

class SourceFile {
public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  /// The text of 1-based line `line` without its newline; empty when out of range.
  std::string_view line(uint32_t line) const;
  uint32_t lineCount() const { return static_cast<uint32_t>(lineStarts_.size()); }

private:
  std::string path_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

struct SourceLoc {
  const SourceFile* file = nullptr;
  uint32_t line = 0;   ///< 1-based; 0 when the location is the whole file
  uint32_t column = 0; ///< 1-based; 0 when unknown

  bool isValid() const { return file != nullptr; }
  /// `path:line:col`, `path` alone for a whole-file location, empty when invalid.
  std::string str() const;
};

/// Owns the text of every file read in one run, so that locations stay valid.
class SourceManager {
public:
  const SourceFile& add(std::string path, std::string text);

private:
  std::deque<std::unique_ptr<SourceFile>> files_;
};

} // namespace umlab
