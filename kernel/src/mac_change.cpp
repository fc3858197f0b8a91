#include "umlab/kernel/mac_change.hpp"

#include <string_view>

namespace umlab::kernel {

namespace {

/// iproute2's `matches()`: `word` is a non-empty prefix of `keyword`.
bool abbreviates(std::string_view word, std::string_view keyword, size_t minLength = 1) {
  return word.size() >= minLength && keyword.starts_with(word);
}

std::optional<MacChange> recognizeIp(const std::vector<std::string>& args) {
  size_t at = 0;
  // Global options without an argument may come first; one with an argument (-n netns, -b file,
  // -rc size, -l loops, -f family) makes it something this wrapper does not retry.
  for (; at < args.size() && args[at].size() > 1 && args[at][0] == '-'; ++at) {
    std::string_view option = args[at];
    option.remove_prefix(option.starts_with("--") ? 2 : 1);
    for (std::string_view withArgument : {"netns", "batch", "rcvbuf", "loops", "family"})
      if (abbreviates(option, withArgument))
        return std::nullopt;
  }
  if (at + 1 >= args.size() || !abbreviates(args[at], "link") || !abbreviates(args[at + 1], "set"))
    return std::nullopt;
  at += 2;
  MacChange change;
  if (at < args.size() && args[at] == "dev")
    ++at;
  if (at >= args.size())
    return std::nullopt;
  change.device = args[at++];
  for (; at + 1 < args.size(); ++at)
    if (abbreviates(args[at], "address", 4) || args[at] == "addr") {
      change.mac = args[at + 1];
      return change;
    }
  return std::nullopt;
}

std::optional<MacChange> recognizeIfconfig(const std::vector<std::string>& args) {
  if (args.size() < 4 || args[0].starts_with("-"))
    return std::nullopt;
  for (size_t at = 1; at + 2 < args.size(); ++at)
    if (args[at] == "hw" && args[at + 1] == "ether")
      return MacChange{args[0], args[at + 2]};
  return std::nullopt;
}

} // namespace

std::optional<MacChange> recognizeMacChange(const std::string& tool, const std::vector<std::string>& args) {
  if (tool == "ip")
    return recognizeIp(args);
  if (tool == "ifconfig")
    return recognizeIfconfig(args);
  return std::nullopt;
}

} // namespace umlab::kernel
