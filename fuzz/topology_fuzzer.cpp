// libFuzzer target: arbitrary bytes as a topology file, through load -> resolve -> analyze and,
// when that succeeds, plan, and then the diagnostics as the CLI prints them. Nothing here may
// crash, leak, hang or trip a sanitizer, whatever the input (STYLE.md §9.4: a stage never
// throws for bad input).

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  umlab::SourceManager sources;
  umlab::Diagnostics diags;
  umlab::lab::ResolveOptions options;
  // Deterministic and independent of the machine: half the host paths exist.
  options.pathExists = [](const std::string& path) { return path.size() % 2 == 0; };
  auto compiled = umlab::lab::compileText("fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size), sources,
                                          diags, options);
  if (compiled) {
    const umlab::lab::HostLayout host{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images",
                                      "/usr/lib/umlab/umlab-switchd"};
    (void)umlab::lab::plan(compiled->topology, host, diags);
  }
  std::ostringstream out;
  umlab::renderDiagnostics(diags, out);
  return 0;
}
