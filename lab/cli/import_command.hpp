#pragma once
// umlab import (import_command.cpp).

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/base/temp_dir.hpp"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kImportHelp;

int runImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// A lab imported for one run: its topology file (with absolute paths), removed with `dir`.
struct ImportedLab {
  std::unique_ptr<TempDir> dir;
  std::string file;
};

/// For `umlab up DIR` and tests files with `lab: DIR`: imports the lab in DIR into a temporary
/// topology file; nullopt after printing the errors.
std::optional<ImportedLab> importForUp(const std::string& dir, std::ostream& err);

} // namespace umlab::cli
