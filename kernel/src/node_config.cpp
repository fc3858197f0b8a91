#include "umlab/kernel/node_config.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"

#include <string_view>

namespace umlab::kernel {

namespace {

constexpr size_t kMaxIfaceNameLength = 15; // IFNAMSIZ - 1
constexpr size_t kMaxHostnameLength = 64;  // HOST_NAME_MAX

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  for (;;) {
    const size_t space = line.find(' ', at);
    fields.push_back(line.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at));
    if (space == std::string_view::npos)
      return fields;
    at = space + 1;
  }
}

bool isValidIfaceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIfaceNameLength || name == "." || name == "..")
    return false;
  for (char c : name)
    if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return false;
  return true;
}

/// A sysctl name as /proc/sys takes it: dotted words, no way out of /proc/sys.
bool isValidSysctlName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
    return false;
  for (char c : name)
    if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return false;
  return true;
}

bool isValidHostname(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostnameLength || name.front() == '-' || name.front() == '.')
    return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

} // namespace

std::string renderNodeConfig(const NodeConfig& config) {
  std::string out;
  if (!config.hostname.empty())
    out += "hostname " + config.hostname + "\n";
  out += std::string("forwarding ") + (config.forwarding ? "1" : "0") + "\n";
  for (const auto& iface : config.ifaces)
    out += "iface " + iface.name + " " + iface.device + " " + iface.mac + " " +
           (iface.address.empty() ? std::string("-") : iface.address) + "\n";
  for (const auto& name : config.listenOnly)
    out += "listen " + name + "\n";
  for (const auto& route : config.routes)
    out += "route " + route.destination + " " + route.gateway + "\n";
  for (const auto& [name, value] : config.sysctls)
    out += "sysctl " + name + " " + value + "\n";
  if (!config.mountPoint.empty())
    out += "mount " + config.mountPoint + "\n";
  return out;
}

std::optional<NodeConfig> parseNodeConfig(const std::string& text, std::string* error) {
  NodeConfig config;
  bool hasHostname = false, hasForwarding = false;
  size_t lineNumber = 0;
  std::string_view rest = text;
  auto fail = [&](const std::string& message) -> std::optional<NodeConfig> {
    if (error)
      *error = "line " + std::to_string(lineNumber) + ": " + message;
    return std::nullopt;
  };

  while (!rest.empty()) {
    ++lineNumber;
    const size_t newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (line.empty() || line.front() == '#')
      continue;

    if (line == "sysctl" || line.starts_with("sysctl ")) {
      // The value is the rest of the line, spaces and all.
      for (char c : line)
        if (static_cast<unsigned char>(c) < ' ' || c == 0x7f)
          return fail("control character in 'sysctl' line");
      const std::string_view args = line.substr(std::min<size_t>(line.size(), 7));
      const size_t space = args.find(' ');
      if (space == std::string_view::npos || space == 0 || space + 1 == args.size())
        return fail("'sysctl' takes a name and a value: sysctl <name> <value>");
      const std::string_view name = args.substr(0, space);
      if (!isValidSysctlName(name))
        return fail("invalid sysctl name " + quoted(name));
      config.sysctls.emplace_back(std::string(name), std::string(args.substr(space + 1)));
      continue;
    }
    const auto fields = splitFields(line);
    for (const auto& field : fields) {
      if (field.empty())
        return fail("empty field: fields are separated by single spaces");
      for (char c : field)
        if (static_cast<unsigned char>(c) < ' ' || c == 0x7f)
          return fail("control character in " + quoted(fields[0]) + " line");
    }
    const std::string_view directive = fields[0];
    auto expect = [&](size_t count, const char* usage) -> bool {
      if (fields.size() == count + 1)
        return true;
      fail(quoted(directive) + " takes " + std::to_string(count) + (count == 1 ? " field" : " fields") +
           ": " + usage);
      return false;
    };

    if (directive == "hostname") {
      if (!expect(1, "hostname <name>"))
        return std::nullopt;
      if (hasHostname)
        return fail("duplicate 'hostname'");
      if (!isValidHostname(fields[1]))
        return fail("invalid hostname " + quoted(fields[1]));
      config.hostname = fields[1];
      hasHostname = true;
    } else if (directive == "forwarding") {
      if (!expect(1, "forwarding 0|1"))
        return std::nullopt;
      if (hasForwarding)
        return fail("duplicate 'forwarding'");
      if (fields[1] != "0" && fields[1] != "1")
        return fail("'forwarding' is 0 or 1, not " + quoted(fields[1]));
      config.forwarding = fields[1] == "1";
      hasForwarding = true;
    } else if (directive == "iface") {
      if (!expect(4, "iface <name> <device> <mac> <address/prefix or ->"))
        return std::nullopt;
      NodeConfig::Iface iface{std::string(fields[1]), std::string(fields[2]), std::string(fields[3]),
                              fields[4] == "-" ? std::string() : std::string(fields[4])};
      if (!isValidIfaceName(iface.name))
        return fail("invalid interface name " + quoted(iface.name));
      if (!isValidIfaceName(iface.device))
        return fail("invalid device name " + quoted(iface.device));
      for (const auto& other : config.ifaces) {
        if (other.name == iface.name)
          return fail("duplicate interface " + quoted(iface.name));
        if (other.device == iface.device)
          return fail("device " + quoted(iface.device) + " is configured twice");
      }
      const auto mac = MacAddress::parse(iface.mac);
      if (!mac)
        return fail("invalid MAC address " + quoted(iface.mac) + " for " + quoted(iface.name));
      if (mac->isMulticast() || mac->isZero())
        return fail("MAC address " + quoted(iface.mac) + " for " + quoted(iface.name) + " is not a unicast address");
      if (!iface.address.empty() && !IpPrefix::parse(iface.address))
        return fail("invalid address " + quoted(iface.address) + " for " + quoted(iface.name) +
                    " (expected address/prefix or '-')");
      config.ifaces.push_back(std::move(iface));
    } else if (directive == "route") {
      if (!expect(2, "route <destination or default> <gateway>"))
        return std::nullopt;
      NodeConfig::Route route{std::string(fields[1]), std::string(fields[2])};
      const auto gateway = IpAddress::parse(route.gateway);
      if (!gateway)
        return fail("invalid gateway " + quoted(route.gateway));
      if (route.destination != "default") {
        const auto destination = IpPrefix::parse(route.destination);
        if (!destination)
          return fail("invalid route destination " + quoted(route.destination) + " (expected a prefix or 'default')");
        if (destination->address().family() != gateway->family())
          return fail("route to " + quoted(route.destination) + " has a gateway of another address family");
      }
      config.routes.push_back(std::move(route));
    } else if (directive == "listen") {
      if (!expect(1, "listen <interface>"))
        return std::nullopt;
      if (!isValidIfaceName(fields[1]))
        return fail("invalid interface name " + quoted(fields[1]));
      config.listenOnly.emplace_back(fields[1]);
    } else if (directive == "mount") {
      if (!expect(1, "mount <guest dir>"))
        return std::nullopt;
      if (!config.mountPoint.empty())
        return fail("duplicate 'mount'");
      const std::string_view dir = fields[1];
      if (dir.front() != '/' || dir == "/" || dir.find("/../") != std::string_view::npos || dir.ends_with("/.."))
        return fail("'mount' takes an absolute directory other than '/', not " + quoted(dir));
      config.mountPoint = dir;
    } else {
      return fail("unknown directive " + quoted(directive));
    }
  }
  return config;
}

} // namespace umlab::kernel
