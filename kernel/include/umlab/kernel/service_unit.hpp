#pragma once
/// The pure part of umlab-init's `systemctl` (kernel/guest/systemctl.cpp): verbs, unit names,
/// unit files and how a name resolves to something that can be run.
///
/// Guests have no systemd: umlab-init is PID 1. Labs still say `systemctl start frr`, so init
/// links a small `systemctl` to itself when the image has none. It does not start units at boot
/// and has no dependency graph; for each named unit it
///   1. runs the SysV init script `/etc/init.d/<name>` with the verb, when there is one;
///   2. else finds the unit file (`<name>.service` in /etc/systemd/system, /lib/systemd/system,
///      /usr/lib/systemd/system, or the unit that lists `Alias=<name>.service`, like bookworm's
///      named.service for bind9) and runs the init script of the unit's own name or an alias
///      (/etc/init.d/named) when there is one;
///   3. else runs the unit's commands itself: ExecStartPre=, then ExecStart= (Type=simple, exec,
///      notify, idle: in the background in its own session, pid recorded under
///      /run/umlab-services; forking, oneshot: waited for), ExecStartPost=; for stop ExecStop= or
///      SIGTERM to the recorded process group;
///   4. else says "Unit <name>.service not found." (exit 5, as systemd does).
/// Exit codes follow systemctl's: the init script's own for start, stop, restart and reload;
/// for status and is-active 0 when it is running and 3 when not (frr's script says 1).
/// enable, disable, is-enabled and daemon-reload do nothing but say so: nothing starts at boot
/// here, the lab's startup commands do.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::kernel {

enum class UnitVerb {
  Start, Stop, Restart, Reload, TryRestart, ReloadOrRestart, Status, IsActive,
  Enable, Disable, IsEnabled, DaemonReload,
};

std::optional<UnitVerb> parseUnitVerb(std::string_view word);
/// The init script action that does `verb` directly ("start" for Start); empty for verbs that
/// take more than one step (try-restart, reload-or-restart) or none (enable, ...).
std::string initScriptAction(UnitVerb verb);

/// "frr" or "frr.service" -> "frr". nullopt for other unit types ("x.socket", "x.timer"),
/// templates ("getty@tty1") and names that are not plain file names.
std::optional<std::string> serviceName(std::string_view arg);

struct UnitFile {
  std::string description;
  std::string type = "simple";
  bool remainAfterExit = false;
  std::vector<std::string> aliases; ///< without ".service"
  std::vector<std::string> execStartPre, execStart, execStartPost, execStop, execReload;
  std::vector<std::string> environment;      ///< Environment= assignments, "KEY=value" each
  std::vector<std::string> environmentFiles; ///< as written, a leading '-' meaning optional
  std::vector<std::string> runtimeDirectories; ///< under /run
  std::string pidFile;
  std::string workingDirectory;
};

/// Reads the [Unit], [Service] and [Install] keys used above; `\`-continued lines are joined,
/// '#' and ';' lines are comments, an empty assignment (`ExecStart=`) clears the list. Exec
/// lines keep systemd's prefixes ('-', '@', '+', '!', ':') for the runner to interpret.
UnitFile parseUnitFile(std::string_view text);

/// The guest's files, as resolution sees them (a fake in tests).
class UnitFileSystem {
public:
  virtual ~UnitFileSystem() = default;
  virtual bool isExecutable(const std::string& path) const = 0;
  virtual std::optional<std::string> read(const std::string& path) const = 0;
  /// Names of the entries of `dir` (empty when it does not exist).
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  /// The file name `path` finally points at ("named.service" for an alias symlink).
  virtual std::string targetName(const std::string& path) const = 0;
};

inline constexpr const char* kUnitDirs[] = {"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
                                            "/usr/lib/systemd/system"};

struct ResolvedUnit {
  enum class Kind { InitScript, UnitFile, NotFound } kind = Kind::NotFound;
  std::string name;       ///< the unit's own name ("named" when asked for "bind9")
  std::string initScript; ///< "/etc/init.d/named" for InitScript
  std::string unitPath;   ///< the unit file, when one was found
  UnitFile unit;
};

ResolvedUnit resolveUnit(const std::string& name, const UnitFileSystem& files);

} // namespace umlab::kernel
