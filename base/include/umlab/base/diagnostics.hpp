#pragma once
/// Compiler-style diagnostics, one format for the CLI, the GUI and logs (STYLE.md §9.4):
///
///     lab.yaml:12:14: error: link endpoint 'r9:eth0' names unknown node 'r9'; did you mean 'r2'?
///       - {endpoints: [r9:eth0, lan]}
///                      ^
///     lab.yaml:4:1: note: nodes are declared here
///
/// Input errors are values collected in a `Diagnostics` sink; a stage never throws for bad input.
/// The sink stops recording after a limit of errors (20 by default) and remembers that it did, so
/// a stage keeps going cheaply and the user sees "too many errors" once.

#include "umlab/base/source.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  std::vector<Diagnostic> notes; ///< related places, printed right after
};

class Diagnostics {
public:
  static constexpr size_t kDefaultErrorLimit = 20;

  explicit Diagnostics(size_t errorLimit = kDefaultErrorLimit) : errorLimit_(errorLimit) {}

  /// Records an error; returns it so that notes can be attached. Past the limit the error is
  /// counted but not kept, and the returned reference is a scratch diagnostic.
  Diagnostic& error(SourceLoc loc, std::string message);
  Diagnostic& warning(SourceLoc loc, std::string message);
  static void note(Diagnostic& d, SourceLoc loc, std::string message);

  size_t errorCount() const { return errorCount_; }
  size_t warningCount() const { return warningCount_; }
  bool hasErrors() const { return errorCount_ > 0; }
  /// True once more errors were reported than the limit allows.
  bool overLimit() const { return errorCount_ > errorLimit_; }
  size_t errorLimit() const { return errorLimit_; }
  const std::vector<Diagnostic>& all() const { return diags_; }
  void clear();

private:
  Diagnostic& add(Severity s, SourceLoc loc, std::string message);

  size_t errorLimit_;
  size_t errorCount_ = 0;
  size_t warningCount_ = 0;
  std::vector<Diagnostic> diags_;
  Diagnostic scratch_;
};

/// One diagnostic with its notes, each followed by its source line and a caret when the location
/// has a line and the line is printable text.
std::string renderDiagnostic(const Diagnostic& d);
/// Every recorded diagnostic in order, then "too many errors" when the limit was passed.
void renderDiagnostics(const Diagnostics& diags, std::ostream& out);

const char* severityName(Severity s);

} // namespace umlab
