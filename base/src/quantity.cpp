#include "umlab/base/quantity.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace umlab {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

/// Splits "12.5ms" into the number part and the unit part.
std::pair<std::string_view, std::string_view> splitUnit(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  return {text.substr(0, i), text.substr(i)};
}

std::string trimZeros(std::string s) {
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0')
      s.pop_back();
    if (!s.empty() && s.back() == '.')
      s.pop_back();
  }
  return s;
}

} // namespace

std::optional<double> parseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 32)
    return std::nullopt;
  bool seenDot = false, seenDigit = false;
  for (char c : text) {
    if (c == '.') {
      if (seenDot)
        return std::nullopt;
      seenDot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      seenDigit = true;
    } else {
      return std::nullopt;
    }
  }
  if (!seenDigit)
    return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max) {
  uint64_t v = 0;
  if (text.empty())
    return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > max)
    return std::nullopt;
  return v;
}

std::optional<uint64_t> parseByteSize(std::string_view text) {
  auto [num, unit] = splitUnit(text);
  auto n = parseUnsigned(num);
  if (!n)
    return std::nullopt;
  std::string u = lower(unit);
  unsigned shift;
  if (u.empty() || u == "b") shift = 0;
  else if (u == "k" || u == "kib" || u == "kb") shift = 10;
  else if (u == "m" || u == "mib" || u == "mb") shift = 20;
  else if (u == "g" || u == "gib" || u == "gb") shift = 30;
  else if (u == "t" || u == "tib" || u == "tb") shift = 40;
  else return std::nullopt;
  if (*n > (UINT64_MAX >> shift))
    return std::nullopt;
  return *n << shift;
}

std::string formatByteSize(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + "G";
  if (bytes != 0 && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes != 0 && bytes % (1ULL << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

std::optional<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  auto [num, unit] = splitUnit(text);
  auto v = parseDecimal(num);
  if (!v)
    return std::nullopt;
  double scale;
  if (unit == "ns") scale = 1;
  else if (unit == "us" || unit == "µs") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s") scale = 1e9;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return std::nullopt;
  double ns = *v * scale;
  if (ns > 9.2e18)
    return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

std::string formatDuration(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  char buf[64];
  if (ns % 1000000000 == 0) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ns / 1000000000));
  else if (ns % 1000000 == 0) std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1000000));
  else if (ns % 1000 == 0) std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  else std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  return buf;
}

std::optional<double> parsePercent(std::string_view text) {
  if (text.empty() || text.back() != '%')
    return std::nullopt;
  return parseDecimal(text.substr(0, text.size() - 1));
}

std::string formatPercent(double percent) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", percent);
  return trimZeros(buf) + "%";
}

std::optional<uint64_t> parseBitRate(std::string_view text) {
  auto [num, unit] = splitUnit(text);
  auto v = parseDecimal(num);
  if (!v)
    return std::nullopt;
  std::string u = lower(unit);
  double scale;
  if (u == "bit") scale = 1;
  else if (u == "kbit") scale = 1e3;
  else if (u == "mbit") scale = 1e6;
  else if (u == "gbit") scale = 1e9;
  else return std::nullopt;
  double bits = *v * scale;
  if (bits > 1e15)
    return std::nullopt;
  return static_cast<uint64_t>(std::llround(bits));
}

std::string formatBitRate(uint64_t bps) {
  if (bps != 0 && bps % 1000000000 == 0) return std::to_string(bps / 1000000000) + "gbit";
  if (bps != 0 && bps % 1000000 == 0) return std::to_string(bps / 1000000) + "mbit";
  if (bps != 0 && bps % 1000 == 0) return std::to_string(bps / 1000) + "kbit";
  return std::to_string(bps) + "bit";
}

} // namespace umlab
