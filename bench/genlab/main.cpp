// umlab-genlab: writes a generated large topology (see genlab.hpp for the shapes).

#include "genlab.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: umlab-genlab [options]\n"
    "\n"
    "Write a large, valid topology for scale tests: the same options always give the same file.\n"
    "\n"
    "options:\n"
    "  --nodes N            how many nodes, routers included (default 200; 2 to 1000000)\n"
    "  --shape campus|star  campus: routers in a ring, each with a switch LAN of hosts (default);\n"
    "                       star: every node on one switch\n"
    "  --hosts-per-lan H    campus: the most hosts on one LAN (default 20; 2 to 249)\n"
    "  --name NAME          the lab's name (default <shape>-<nodes>)\n"
    "  -o, --output FILE    write to FILE instead of standard output\n"
    "  -h, --help           show this help\n"
    "\n"
    "example: umlab-genlab --nodes 200 --shape campus --name large -o topologies/large.yaml\n";

struct UsageError {
  std::string message;
};

size_t number(const std::string& option, const std::string& text) {
  size_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty())
    throw UsageError{option + " needs a whole number, not '" + text + "'"};
  return v;
}

int run(const std::vector<std::string>& args) {
  umlab::bench::GenOptions options;
  std::string output;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    std::string value;
    bool hasValue = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      hasValue = true;
    }
    auto take = [&]() -> std::string {
      if (hasValue)
        return value;
      if (i + 1 >= args.size())
        throw UsageError{"option '" + a + "' needs a value"};
      return args[++i];
    };
    if (a == "--nodes")
      options.nodeCount = number(a, take());
    else if (a == "--shape") {
      const std::string s = take();
      auto shape = umlab::bench::parseShape(s);
      if (!shape)
        throw UsageError{"shape '" + s + "' is not 'campus' or 'star'"};
      options.shape = *shape;
    } else if (a == "--hosts-per-lan") {
      const size_t h = number(a, take());
      options.hostsPerLan = h > umlab::bench::kMaxHostsPerLan ? umlab::bench::kMaxHostsPerLan + 1 : static_cast<unsigned>(h);
    } else if (a == "--name")
      options.name = take();
    else if (a == "-o" || a == "--output")
      output = take();
    else
      throw UsageError{"unknown argument '" + args[i] + "'"};
  }
  options.outputPath = output == "-" ? "" : output;
  if (auto problem = umlab::bench::checkGenOptions(options))
    throw UsageError{*problem};

  const std::string text = umlab::bench::generateLab(options);
  if (output.empty() || output == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  if (file)
    file << text;
  if (file)
    file.close();
  if (!file) {
    std::cerr << "umlab-genlab: error: cannot write '" << output << "': " << std::strerror(errno) << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "umlab-genlab: error: " << e.message << "\nrun 'umlab-genlab --help' for the options\n";
    return 2;
  }
}
