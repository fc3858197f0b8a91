#pragma once
/// Reading a topology into a `LabData` and validating one, through the same lab library stages
/// as `umlab validate`: load (yaml::loadFile, readRawTopology) -> resolve -> analyze. The report
/// holds the CLI's text, diagnostic for diagnostic, and says which element each one is about, so
/// the canvas can mark it (STYLE.md §9.4 rule 5: one message, one place).
///
/// A file with errors still opens when its YAML can be read: what the loader understood becomes
/// the document, and the report lists the rest. Only a file that is not YAML at all (or not a
/// mapping) gives no document.

#include "umlab/base/diagnostics.hpp"
#include "umlab/gui/lab_data.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace umlab::gui {

struct ReportEntry {
  Severity severity = Severity::Error;
  std::string text;                ///< as `umlab validate` prints it: message, source line, caret, notes
  ElementId element = kNoElement;  ///< what it is about, when that is one node, segment or link
  uint32_t line = 0;               ///< in the validated text; 0 when none
};

struct ValidationReport {
  std::string path;
  std::vector<ReportEntry> entries;
  size_t errorCount = 0;
  size_t warningCount = 0;
  std::string overLimit; ///< umlab's "too many errors" line, or empty
  std::string summary;   ///< the last line `umlab validate` prints for the file
  bool ok() const { return errorCount == 0; }
  /// Everything `umlab validate PATH` prints, standard error first, then standard output.
  std::string text() const;
};

struct LoadedLab {
  std::optional<LabData> lab; ///< nullopt when the file could not be read as a topology at all
  ValidationReport report;
  /// Elements whose position the file did not give (they were placed by the layout).
  std::vector<ElementId> placed;
};

/// Opens a topology file. Elements get ids from 1 in file order; comments are kept with the
/// element they stand next to; positions come from `layout:` or from `lab::computeLayout`.
LoadedLab loadLab(const std::string& path);
/// The same for text that is not (or not yet) a file; `name` stands for its path.
LoadedLab loadLabText(const std::string& name, std::string text);

/// Writes `lab` as YAML (with `options`) and runs the stages on that text as if it were the file
/// `path`: the report is what `umlab validate` would say about the saved file.
ValidationReport validateLab(const LabData& lab, const std::string& path, const WriteOptions& options = {});

/// The report on `text` as the file `path`, each entry naming its element with the ids `loadLabText`
/// gives (so it fits the document opened from that text); nothing is placed.
ValidationReport validateLabText(const std::string& path, std::string text);

/// Positions for every node and segment from `lab::computeLayout` (the lab library's automatic
/// layout, as `umlab graph` draws it). Elements listed in `pinned` keep their position.
void computePositions(LabData& lab, const std::vector<ElementId>& pinned);

} // namespace umlab::gui
