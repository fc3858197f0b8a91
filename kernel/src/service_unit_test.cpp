#include "umlab/kernel/service_unit.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace umlab::kernel;

namespace {

/// Files by path; symlinks map a path to the file name they point at.
class FakeFiles : public UnitFileSystem {
public:
  std::map<std::string, std::string> texts;
  std::set<std::string> executables;
  std::map<std::string, std::string> links; ///< path -> file name of its target

  bool isExecutable(const std::string& path) const override { return executables.count(path) > 0; }
  std::optional<std::string> read(const std::string& path) const override {
    auto it = texts.find(path);
    return it == texts.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> names;
    for (const auto& [path, text] : texts)
      if (path.starts_with(dir + "/") && path.find('/', dir.size() + 1) == std::string::npos)
        names.push_back(path.substr(dir.size() + 1));
    return names;
  }
  std::string targetName(const std::string& path) const override {
    auto it = links.find(path);
    return it != links.end() ? it->second : path.substr(path.rfind('/') + 1);
  }
};

// bookworm's bind9 package, shortened.
constexpr const char* kNamedUnit = R"([Unit]
Description=BIND Domain Name Server
Documentation=man:named(8)
After=network.target

[Service]
Type=forking
EnvironmentFile=-/etc/default/named
ExecStart=/usr/sbin/named $OPTIONS
ExecReload=/usr/sbin/rndc reload
ExecStop=/usr/sbin/rndc stop

[Install]
WantedBy=multi-user.target
Alias=bind9.service
)";

} // namespace

TEST_CASE("systemctl verbs and their init script actions", "[kernel][service-unit]") {
  CHECK(parseUnitVerb("start") == UnitVerb::Start);
  CHECK(parseUnitVerb("reload-or-restart") == UnitVerb::ReloadOrRestart);
  CHECK(parseUnitVerb("try-restart") == UnitVerb::TryRestart);
  CHECK(parseUnitVerb("daemon-reload") == UnitVerb::DaemonReload);
  CHECK(parseUnitVerb("is-enabled") == UnitVerb::IsEnabled);
  CHECK_FALSE(parseUnitVerb("isolate"));
  CHECK_FALSE(parseUnitVerb("START"));
  CHECK(initScriptAction(UnitVerb::Start) == "start");
  CHECK(initScriptAction(UnitVerb::Stop) == "stop");
  CHECK(initScriptAction(UnitVerb::Restart) == "restart");
  CHECK(initScriptAction(UnitVerb::Reload) == "reload");
  CHECK(initScriptAction(UnitVerb::Status) == "status");
  CHECK(initScriptAction(UnitVerb::IsActive) == "status");
  CHECK(initScriptAction(UnitVerb::TryRestart).empty());
  CHECK(initScriptAction(UnitVerb::Enable).empty());
}

TEST_CASE("unit names: X and X.service are the same service, and other unit types are not services", "[kernel][service-unit]") {
  CHECK(serviceName("frr") == "frr");
  CHECK(serviceName("frr.service") == "frr");
  CHECK(serviceName("bind9.service") == "bind9");
  CHECK_FALSE(serviceName("dbus.socket"));
  CHECK_FALSE(serviceName("multi-user.target"));
  CHECK_FALSE(serviceName("getty@tty1.service"));
  CHECK_FALSE(serviceName("../etc/passwd"));
  CHECK_FALSE(serviceName(".service"));
  CHECK_FALSE(serviceName(""));
}

TEST_CASE("a unit file's keys are read by section, continued lines joined, empty assignments clear", "[kernel][service-unit]") {
  UnitFile unit = parseUnitFile(kNamedUnit);
  CHECK(unit.description == "BIND Domain Name Server");
  CHECK(unit.type == "forking");
  CHECK(unit.aliases == std::vector<std::string>{"bind9"});
  CHECK(unit.execStart == std::vector<std::string>{"/usr/sbin/named $OPTIONS"});
  CHECK(unit.execStop == std::vector<std::string>{"/usr/sbin/rndc stop"});
  CHECK(unit.execReload == std::vector<std::string>{"/usr/sbin/rndc reload"});
  CHECK(unit.environmentFiles == std::vector<std::string>{"-/etc/default/named"});

  unit = parseUnitFile("[Service]\n"
                       "# comment\n"
                       "; comment\n"
                       "ExecStartPre=/bin/true\n"
                       "ExecStart=/usr/bin/a \\\n"
                       "   --long \\\n"
                       "   --flag\n"
                       "ExecStart=\n"
                       "ExecStart=-/usr/bin/b\n"
                       "Environment=A=1 \"B=two words\"\n"
                       "RuntimeDirectory=frr other\n"
                       "RemainAfterExit=yes\n"
                       "PIDFile=/run/x.pid\n"
                       "Alias=notinservice.service\n"
                       "[Install]\n"
                       "Alias=a.service b.socket c.service\n");
  CHECK(unit.type == "simple");
  CHECK(unit.execStartPre == std::vector<std::string>{"/bin/true"});
  CHECK(unit.execStart == std::vector<std::string>{"-/usr/bin/b"});
  CHECK(unit.environment == std::vector<std::string>{"A=1", "B=two words"});
  CHECK(unit.runtimeDirectories == std::vector<std::string>{"frr", "other"});
  CHECK(unit.remainAfterExit);
  CHECK(unit.pidFile == "/run/x.pid");
  CHECK(unit.aliases == std::vector<std::string>{"a", "c"});
  CHECK(parseUnitFile("[Service]\nExecStart=/usr/bin/a \\\n  --b\n").execStart == std::vector<std::string>{"/usr/bin/a  --b"});
}

TEST_CASE("a name resolves to its init script, through the unit's Alias= or its own name", "[kernel][service-unit]") {
  FakeFiles files;
  files.executables = {"/etc/init.d/frr", "/etc/init.d/named", "/etc/init.d/quagga"};
  files.texts["/lib/systemd/system/frr.service"] = "[Service]\nExecStart=/usr/lib/frr/frrinit.sh start\n";
  files.texts["/lib/systemd/system/named.service"] = kNamedUnit;
  files.texts["/lib/systemd/system/ssh.service"] = "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nAlias=sshd.service\n";
  files.texts["/etc/systemd/system/dns.service"] = kNamedUnit; // an enabled alias symlink
  files.links["/etc/systemd/system/dns.service"] = "named.service";

  ResolvedUnit frr = resolveUnit("frr", files);
  CHECK(frr.kind == ResolvedUnit::Kind::InitScript);
  CHECK(frr.initScript == "/etc/init.d/frr");
  CHECK(frr.name == "frr");

  ResolvedUnit bind9 = resolveUnit("bind9", files); // Alias=bind9.service in named.service
  CHECK(bind9.kind == ResolvedUnit::Kind::InitScript);
  CHECK(bind9.initScript == "/etc/init.d/named");
  CHECK(bind9.name == "named");
  CHECK(bind9.unit.aliases == std::vector<std::string>{"bind9"});

  ResolvedUnit dns = resolveUnit("dns", files); // the symlink names its target
  CHECK(dns.kind == ResolvedUnit::Kind::InitScript);
  CHECK(dns.initScript == "/etc/init.d/named");

  ResolvedUnit sshd = resolveUnit("sshd", files); // no init script: the unit's own commands
  CHECK(sshd.kind == ResolvedUnit::Kind::UnitFile);
  CHECK(sshd.name == "ssh");
  CHECK(sshd.unitPath == "/lib/systemd/system/ssh.service");
  CHECK(sshd.unit.execStart == std::vector<std::string>{"/usr/sbin/sshd -D"});

  CHECK(resolveUnit("quagga", files).kind == ResolvedUnit::Kind::InitScript);
  CHECK(resolveUnit("apache2", files).kind == ResolvedUnit::Kind::NotFound);
  files.executables.erase("/etc/init.d/named");
  ResolvedUnit named = resolveUnit("bind9", files);
  CHECK(named.kind == ResolvedUnit::Kind::UnitFile);
  CHECK(named.unit.type == "forking");
}
