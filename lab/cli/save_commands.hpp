#pragma once
// The verbs that keep a lab on disk while it does not run: save, resume, archive, and the parts
// of up (FILE.umlab), ps (saved labs) and down (--saved) that concern saved labs
// (save_commands.cpp). They parse and print; lab/runtime/lab_saver.hpp and lab_archive.hpp do
// the work (docs/save-resume.md).

#include "cli.hpp"
#include "cli_args.hpp"

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// The version every archive and saved lab records ("umlab 0.1.0"), as `umlab --version` prints it.
inline constexpr const char* kUmlabVersion = "umlab 0.1.0";

/// Runs `command` (save, resume or archive) with its arguments.
int runSaveCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err);
/// The --help text of save, resume or archive, or nullptr.
const char* saveHelp(const std::string& command);

/// True when `file` names a lab archive (ends with .umlab) for `umlab up`.
bool isArchiveFile(const std::string& file);
/// `umlab up FILE.umlab [--name NEW] [--unpack-only]`: unpacks into a saved lab, then resumes it.
int upArchive(const std::string& self, const CliArgs& a, const std::string& stateRoot, std::chrono::seconds bootTimeout,
              std::ostream& out, std::ostream& err);

/// The saved labs for `umlab ps` (all, or those of `names` that are saved and not in `skip`),
/// each as ps prints it in `format` (text or json).
std::vector<std::string> savedLabsForPs(const std::vector<std::string>& names, const std::vector<std::string>& skip,
                                        const std::string& format);
/// True when `lab` is saved (in the caller's data directory).
bool isSavedLab(const std::string& lab);
/// `umlab down --saved LAB...`: deletes saved labs.
int downSaved(const CliArgs& a, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
