#include "umlab/kernel/image_mirror.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace umlab::kernel {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > start)
      out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isFetchable(std::string_view uri) {
  return uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0 || uri.rfind("file:/", 0) == 0;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

std::vector<AptSource> parseOneLineSources(std::string_view text) {
  std::vector<AptSource> sources;
  for (std::string_view line : lines(text)) {
    if (size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    // Options sit between the type and the URI in brackets, and may contain spaces.
    std::string rest(line);
    if (size_t open = rest.find('['); open != std::string::npos) {
      size_t close = rest.find(']', open);
      if (close == std::string::npos)
        continue;
      rest.erase(open, close - open + 1);
    }
    std::vector<std::string> w = words(rest);
    if (w.size() < 3 || (w[0] != "deb" && w[0] != "deb-src"))
      continue;
    AptSource s{w[0], w[1], w[2], {w.begin() + 3, w.end()}};
    sources.push_back(std::move(s));
  }
  return sources;
}

std::vector<AptSource> parseDeb822Sources(std::string_view text) {
  std::vector<AptSource> sources;
  std::vector<std::pair<std::string, std::string>> fields;
  auto flush = [&] {
    std::vector<std::string> types, uris, suites, components;
    bool isEnabled = true;
    for (const auto& [key, value] : fields) {
      if (key == "types")
        types = words(value);
      else if (key == "uris")
        uris = words(value);
      else if (key == "suites")
        suites = words(value);
      else if (key == "components")
        components = words(value);
      else if (key == "enabled")
        isEnabled = lower(words(value).empty() ? "" : words(value)[0]) != "no";
    }
    fields.clear();
    if (!isEnabled)
      return;
    for (const std::string& type : types)
      for (const std::string& uri : uris)
        for (const std::string& suite : suites)
          sources.push_back({type, uri, suite, components});
  };
  for (std::string_view line : lines(text)) {
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.empty() && line[0] == '#')
      continue;
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') { // a continuation of the previous field
      if (!fields.empty())
        fields.back().second += " " + std::string(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    fields.emplace_back(lower(std::string(line.substr(0, colon))), std::string(line.substr(colon + 1)));
  }
  flush();
  return sources;
}

std::optional<std::string> pickDebianMirror(const std::vector<AptSource>& sources, std::string_view suite) {
  for (const AptSource& s : sources) {
    if (s.type != "deb" || s.suite != suite || !isFetchable(s.uri))
      continue;
    if (std::find(s.components.begin(), s.components.end(), "main") == s.components.end())
      continue;
    std::string uri = s.uri;
    while (uri.size() > 1 && uri.back() == '/')
      uri.pop_back();
    return uri;
  }
  return std::nullopt;
}

MirrorChoice findHostMirror(std::string_view suite, const std::string& aptDir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_regular_file(fs::path(aptDir) / "sources.list", ec))
    files.push_back(fs::path(aptDir) / "sources.list");
  std::vector<fs::path> parts;
  for (fs::directory_iterator it(fs::path(aptDir) / "sources.list.d", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = it->path().extension().string();
    if ((ext == ".list" || ext == ".sources") && it->is_regular_file(ec))
      parts.push_back(it->path());
  }
  std::sort(parts.begin(), parts.end());
  files.insert(files.end(), parts.begin(), parts.end());
  for (const fs::path& file : files) {
    const std::string text = readFile(file);
    auto sources = file.extension() == ".sources" ? parseDeb822Sources(text) : parseOneLineSources(text);
    if (auto uri = pickDebianMirror(sources, suite))
      return {*uri, file.string()};
  }
  return {kFallbackMirror, "default"};
}

} // namespace umlab::kernel
