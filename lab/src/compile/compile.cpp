#include "umlab/lab/compile/compile.hpp"

#include "umlab/lab/compile/load.hpp"
#include "umlab/lab/model/kind_registry.hpp"

namespace umlab::lab {

namespace {
std::optional<Compiled> finish(const std::optional<RawTopology>& raw, Diagnostics& diags, const ResolveOptions& options,
                               size_t errorsBefore) {
  if (!raw)
    return std::nullopt;
  GuestKindRegistry kinds;
  registerBuiltinKinds(kinds);
  auto topology = resolve(*raw, kinds, diags, options);
  if (!topology || diags.errorCount() != errorsBefore)
    return std::nullopt;
  Analysis analysis = analyze(*topology, diags);
  return Compiled{std::move(*topology), std::move(analysis)};
}
} // namespace

std::optional<Compiled> compileFile(const std::string& path, SourceManager& sources, Diagnostics& diags,
                                    const ResolveOptions& options) {
  const size_t before = diags.errorCount();
  return finish(loadTopology(path, sources, diags), diags, options, before);
}

std::optional<Compiled> compileText(const std::string& name, std::string text, SourceManager& sources,
                                    Diagnostics& diags, const ResolveOptions& options) {
  const size_t before = diags.errorCount();
  return finish(loadTopologyText(name, std::move(text), sources, diags), diags, options, before);
}

} // namespace umlab::lab
