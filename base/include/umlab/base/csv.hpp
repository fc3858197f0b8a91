#pragma once
/// One CSV field as RFC 4180 writes it: as it is, or in double quotes (quotes doubled) when it
/// holds a comma, a quote or a line break. Shared by every CSV umlab prints (`umlab test
/// --format csv`, `umlab class`, `umlab replay --through --format csv`).

#include <string>

namespace umlab {

inline std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos)
    return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

} // namespace umlab
