// umlab import: a Netkit or Kathara lab directory as a umlab topology (lab/import).

#include "import_command.hpp"

#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/import/netkit_import.hpp"

#include <filesystem>
#include <fstream>
#include <ostream>
#include <unistd.h>

namespace umlab::cli {
namespace {

namespace fs = std::filesystem;

int cmdImport(const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.positional().size() != 1)
    throw CliUsageError{"import takes one lab directory, as in 'umlab import labs/ospf -o ospf.yaml'"};
  const std::string dir = a.positional()[0];
  const std::optional<std::string> output = a.get("-o");
  lab::ImportOptions options;
  options.relativeTo = output ? fs::absolute(*output).parent_path().string() : fs::current_path().string();
  options.name = a.get("--name").value_or("");
  SourceManager sources;
  Diagnostics diags;
  std::optional<std::string> text = lab::importNetkitLab(dir, options, sources, diags);
  renderDiagnostics(diags, err);
  if (!text)
    return kExitInputError;
  // What comes out must be a valid lab: compile it before anybody relies on it.
  SourceManager check;
  Diagnostics checkDiags;
  const std::string name = output ? *output : "<imported " + dir + ">";
  if (!lab::compileText(name, *text, check, checkDiags)) {
    renderDiagnostics(checkDiags, err);
    err << "umlab: error: the imported lab does not validate (see above); this is a bug in umlab import\n";
    return kExitInputError;
  }
  if (output) {
    std::ofstream f(*output);
    f << *text;
    if (!f)
      throw CliFailure{"cannot write " + *output};
    out << dir << ": imported to " << *output << (diags.warningCount() ? " (see the warnings above)" : "") << "\n";
  } else {
    out << *text;
  }
  return kExitOk;
}

} // namespace

const char* const kImportHelp =
    "usage: umlab import [options] DIR\n"
    "\n"
    "Turn a Netkit or Kathara lab directory (lab.conf, NODE.startup, NODE/ trees, shared.startup,\n"
    "shared/) into a umlab topology: collision domains become switch segments, interface numbers\n"
    "ethN, startup scripts the nodes' startup, file trees their files. Options umlab cannot honour\n"
    "are reported as warnings and listed in the topology's header. 'umlab up DIR' imports and\n"
    "boots in one step.\n"
    "\n"
    "options:\n"
    "  -o FILE            write the topology to FILE (default: standard output); its file paths\n"
    "                     are relative to FILE's directory\n"
    "  --name NAME        the lab's name (default: the directory's)\n"
    "  -h, --help         show this help\n";

int runImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {"-o", "--name"});
  if (a.has("-h") || a.has("--help")) {
    out << kImportHelp;
    return kExitOk;
  }
  try {
    return cmdImport(a, out, err);
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return kExitInputError;
  }
}

std::optional<ImportedLab> importForUp(const std::string& dir, std::ostream& err) {
  lab::ImportOptions options; // absolute paths: the file lives in a temporary directory
  SourceManager sources;
  Diagnostics diags;
  std::optional<std::string> text = lab::importNetkitLab(dir, options, sources, diags);
  renderDiagnostics(diags, err);
  if (!text)
    return std::nullopt;
  ImportedLab imported{std::make_unique<TempDir>("umlab-import"), {}};
  imported.file = imported.dir->file("lab.yaml");
  std::ofstream(imported.file) << *text;
  return imported;
}

} // namespace umlab::cli
