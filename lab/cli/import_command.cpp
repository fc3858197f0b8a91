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
  for (const std::string& m : a.getAll("--image")) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw CliUsageError{"--image takes DOCKER-IMAGE=UMLAB-IMAGE, as in '--image kathara/p4=my-p4', not '" + m + "'"};
    options.imageMap[m.substr(0, eq)] = m.substr(eq + 1);
  }
  SourceManager sources;
  Diagnostics diags;
  std::optional<std::string> text = lab::importNetkitLab(dir, options, sources, diags);
  renderDiagnostics(diags, err);
  if (!text)
    return kExitInputError;
  // What comes out must be a valid lab: compile it before anybody relies on it.
  SourceManager check;
  Diagnostics checkDiags;
  // Relative paths in the text start at the output's directory (or here): compile it from there.
  const std::string name = output ? *output : (fs::current_path() / "imported-lab.yaml").string();
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
    "Turn a Kathara or Netkit lab directory (lab.conf, lab.dep, NODE.startup, NODE.shutdown,\n"
    "NODE/ trees, shared.startup, shared/) into a umlab topology whose devices behave as\n"
    "Kathara's: they forward IPv4, filter no reverse path, have IPv6 off unless the lab turns it\n"
    "on; trees are copied before shared.startup and NODE.startup run; shared/ is /shared.\n"
    "Kathara images map to umlab images (kathara/base and kathara/bind -> kathara-base,\n"
    "kathara/frr and kathara/quagga -> kathara-frr; build them with 'umlab image build\n"
    "--name kathara-frr'); P4, SDN and POX images are refused. What umlab cannot honour is a\n"
    "warning naming the lab.conf line, listed in the topology's header. docs/import.md has the\n"
    "whole mapping. 'umlab up DIR' imports and boots in one step.\n"
    "\n"
    "options:\n"
    "  -o FILE            write the topology to FILE (default: standard output); its file paths\n"
    "                     are relative to FILE's directory\n"
    "  --name NAME        the lab's name (default: the directory's)\n"
    "  --image D=IMAGE    run devices of Docker image D (with or without its tag) on umlab image\n"
    "                     IMAGE; repeatable\n"
    "  -h, --help         show this help\n";

int runImportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {"-o", "--name", "--image"});
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
