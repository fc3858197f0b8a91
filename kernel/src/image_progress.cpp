#include "umlab/kernel/image_progress.hpp"

#include <cmath>
#include <cstdio>
#include <optional>
#include <ostream>

namespace umlab::kernel {

std::string formatSeconds(double seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  } else {
    const long total = std::lround(seconds);
    std::snprintf(text, sizeof text, "%ldm %02lds", total / 60, total % 60);
  }
  return text;
}

void TextImageProgress::stepStarted(int index, int count, const std::string& title) {
  endOpenLine();
  prefix_ = "[" + std::to_string(index) + "/" + std::to_string(count) + "] " + title + "...";
  lastDetail_.clear();
  lastPrinted_ = 0;
  lastSecond_ = 0;
  out_ << prefix_;
  if (isTerminal_)
    isLineOpen_ = true;
  else
    out_ << "\n";
  out_.flush();
}

void TextImageProgress::stepUpdated(const std::string& detail, double elapsedSeconds) {
  const long second = static_cast<long>(elapsedSeconds);
  const bool isNewDetail = detail != lastDetail_;
  if (isTerminal_) {
    if (!isNewDetail && second == lastSecond_)
      return;
    out_ << "\r\033[K" << prefix_ << (detail.empty() ? "" : " " + detail) << " (" << second << " s)";
    isLineOpen_ = true;
  } else {
    const double sinceLast = elapsedSeconds - lastPrinted_;
    if (!(sinceLast >= 10 || (isNewDetail && sinceLast >= 1)))
      return;
    out_ << prefix_ << (detail.empty() ? "" : " " + detail) << " (" << second << " s)\n";
    lastPrinted_ = elapsedSeconds;
  }
  lastDetail_ = detail;
  lastSecond_ = second;
  out_.flush();
}

void TextImageProgress::stepFinished(const std::string& summary, double elapsedSeconds) {
  if (isTerminal_)
    out_ << "\r\033[K";
  out_ << prefix_ << (summary.empty() ? "" : " " + summary) << " (" << formatSeconds(elapsedSeconds) << ")\n";
  isLineOpen_ = false;
  out_.flush();
}

void TextImageProgress::note(const std::string& text) {
  endOpenLine();
  out_ << text << "\n";
  out_.flush();
}

void TextImageProgress::endOpenLine() {
  if (isLineOpen_)
    out_ << "\n";
  isLineOpen_ = false;
}

bool DebootstrapCounter::feed(std::string_view line) {
  auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (line.substr(0, prefix.size()) != prefix)
      return std::nullopt;
    return line.substr(prefix.size());
  };
  // "<package>..." with no space; phases have spaces ("the base system...", "required packages...").
  auto isPackageStep = [](std::string_view rest) {
    return rest.size() > 3 && rest.find(' ') == std::string_view::npos && rest.substr(rest.size() - 3) == "...";
  };
  if (auto rest = after("I: Retrieving ")) {
    // "<package> <version>"; metadata ("Packages ", "InRelease ") is one word.
    std::string_view words = *rest;
    while (!words.empty() && words.back() == ' ')
      words.remove_suffix(1);
    size_t space = words.find(' ');
    if (space != std::string_view::npos && space > 0 && words.find(' ', space + 1) == std::string_view::npos) {
      ++retrieved;
      return true;
    }
  }
  if (auto rest = after("I: Extracting "); rest && isPackageStep(*rest)) {
    ++extracted;
    return true;
  }
  if (auto rest = after("I: Unpacking "); rest && isPackageStep(*rest)) {
    ++unpacked;
    return true;
  }
  if (auto rest = after("I: Configuring "); rest && isPackageStep(*rest)) {
    ++configured;
    return true;
  }
  if (auto rest = after("I: "); rest && retrieved == 0) {
    std::string text(*rest);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.'))
      text.pop_back();
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z')
      text[0] = static_cast<char>(text[0] - 'A' + 'a');
    phase = text;
    return true;
  }
  return false;
}

std::string DebootstrapCounter::describe() const {
  if (retrieved == 0)
    return phase;
  std::string text = std::to_string(retrieved) + " retrieved";
  if (extracted && !unpacked && !configured)
    text += ", " + std::to_string(extracted) + " extracted";
  if (unpacked || configured)
    text += ", " + std::to_string(unpacked) + " unpacked, " + std::to_string(configured) + " configured";
  return text;
}

} // namespace umlab::kernel
