#include "umlab/base/diagnostics.hpp"

#include <ostream>

namespace umlab {

const char* severityName(Severity s) {
  switch (s) {
  case Severity::Error: return "error";
  case Severity::Warning: return "warning";
  case Severity::Note: return "note";
  }
  return "error";
}

Diagnostic& Diagnostics::add(Severity s, SourceLoc loc, std::string message) {
  if (s == Severity::Error && ++errorCount_ > errorLimit_) {
    scratch_ = Diagnostic{};
    return scratch_;
  }
  if (s == Severity::Warning)
    ++warningCount_;
  diags_.push_back(Diagnostic{s, loc, std::move(message), {}});
  return diags_.back();
}

Diagnostic& Diagnostics::error(SourceLoc loc, std::string message) {
  return add(Severity::Error, loc, std::move(message));
}

Diagnostic& Diagnostics::warning(SourceLoc loc, std::string message) {
  return add(Severity::Warning, loc, std::move(message));
}

void Diagnostics::note(Diagnostic& d, SourceLoc loc, std::string message) {
  d.notes.push_back(Diagnostic{Severity::Note, loc, std::move(message), {}});
}

void Diagnostics::clear() {
  errorCount_ = warningCount_ = 0;
  diags_.clear();
}

namespace {

bool isPrintableLine(std::string_view line) {
  if (line.size() > 300)
    return false;
  for (unsigned char c : line)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return false;
  return true;
}

void renderOne(const Diagnostic& d, std::string& out) {
  std::string where = d.loc.str();
  out += where.empty() ? std::string("umlab") : where;
  out += ": ";
  out += severityName(d.severity);
  out += ": ";
  out += d.message;
  out += '\n';
  if (!d.loc.file || d.loc.line == 0 || d.loc.column == 0)
    return;
  std::string_view line = d.loc.file->line(d.loc.line);
  if (!isPrintableLine(line))
    return;
  out += line;
  out += '\n';
  // The caret sits under the column; tabs are kept so that it lines up in a terminal.
  size_t col = d.loc.column - 1;
  for (size_t i = 0; i < col && i < line.size(); ++i)
    out += line[i] == '\t' ? '\t' : ' ';
  for (size_t i = line.size(); i < col; ++i)
    out += ' ';
  out += "^\n";
}

} // namespace

std::string renderDiagnostic(const Diagnostic& d) {
  std::string out;
  renderOne(d, out);
  for (const Diagnostic& n : d.notes)
    renderOne(n, out);
  return out;
}

void renderDiagnostics(const Diagnostics& diags, std::ostream& out) {
  for (const Diagnostic& d : diags.all())
    out << renderDiagnostic(d);
  if (diags.overLimit())
    out << "umlab: error: too many errors (" << diags.errorCount() << " in all); only the first "
        << diags.errorLimit() << " are shown\n";
}

} // namespace umlab
