#include "guest_file.hpp"

#include <filesystem>

namespace umlab::lab {

namespace fs = std::filesystem;

std::string hostPathIn(const std::string& baseDir, const std::string& text) {
  const fs::path p(text);
  return (p.is_absolute() ? p : fs::path(baseDir) / p).lexically_normal().string();
}

std::optional<GuestFile> resolveGuestFile(const RawFile& f, const std::string& owner, const std::string& baseDir,
                                          const std::function<bool(const std::string&)>& pathExists,
                                          Diagnostics& diags) {
  const std::string& g = f.guestPath.text;
  const fs::path gp(g);
  bool ok = gp.is_absolute() && gp.filename() != "";
  for (const auto& part : gp)
    ok = ok && part != ".." && part != ".";
  if (!ok) {
    diags.error(f.guestPath.loc, "guest path '" + g + "' of " + owner +
                                     " must be an absolute path to a file, such as '/etc/motd', without '.' or '..'");
    return std::nullopt;
  }
  const std::string hostPath = hostPathIn(baseDir, f.hostPath.text);
  if (f.hostPath.text.empty() || !pathExists(hostPath)) {
    diags.error(f.hostPath.loc, "file '" + f.hostPath.text + "' for '" + g + "' of " + owner +
                                    " does not exist (looked for '" + hostPath +
                                    "'); paths are relative to the topology file");
    return std::nullopt;
  }
  return GuestFile{g, hostPath, f.guestPath.loc};
}

} // namespace umlab::lab
