#pragma once
/// How an image build shows that it moves. The builder reports steps through `ImageProgress`;
/// `TextImageProgress` prints them:
///
///   [1/6] debootstrap bookworm (minbase, 12 packages)... 212 retrieved, 40 unpacked (21 s)
///
/// On a terminal the step's line is rewritten in place (at most once a second unless the
/// detail changes) and ends with the step's result and time. Elsewhere (a log, CI) every line
/// stays, and a new one is printed at most once a second, and only when the detail changed or
/// ten seconds passed.

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace umlab::kernel {

/// Receives build events. Times are seconds since the step started.
class ImageProgress {
public:
  virtual ~ImageProgress() = default;
  virtual void stepStarted(int index, int count, const std::string& title) = 0;
  virtual void stepUpdated(const std::string& detail, double elapsedSeconds) = 0;
  virtual void stepFinished(const std::string& summary, double elapsedSeconds) = 0;
  /// A message outside the steps ("building image 'debian'...").
  virtual void note(const std::string& text) = 0;
};

class TextImageProgress : public ImageProgress {
public:
  TextImageProgress(std::ostream& out, bool isTerminal) : out_(out), isTerminal_(isTerminal) {}
  void stepStarted(int index, int count, const std::string& title) override;
  void stepUpdated(const std::string& detail, double elapsedSeconds) override;
  void stepFinished(const std::string& summary, double elapsedSeconds) override;
  void note(const std::string& text) override;

private:
  void endOpenLine();

  std::ostream& out_;
  bool isTerminal_;
  std::string prefix_; ///< "[1/6] title..."
  std::string lastDetail_;
  double lastPrinted_ = 0;
  long lastSecond_ = -1;
  bool isLineOpen_ = false;
};

/// "12.3 s" below a minute, "2m 05s" above.
std::string formatSeconds(double seconds);

/// Counts debootstrap's "I: Retrieving <package> <version>", "I: Extracting <package>...",
/// "I: Unpacking <package>..." and "I: Configuring <package>..." lines. Phase lines
/// ("I: Retrieving Packages", "I: Unpacking the base system...") are not packages.
struct DebootstrapCounter {
  size_t retrieved = 0;
  size_t extracted = 0;
  size_t unpacked = 0;
  size_t configured = 0;
  std::string phase; ///< the last other "I: " line, as "resolving dependencies of base packages"

  /// True when the line changed what `describe` says.
  bool feed(std::string_view line);
  /// The phase until the first package is retrieved, then "212 retrieved", then
  /// "212 retrieved, 40 unpacked, 10 configured" as phases begin.
  std::string describe() const;
};

} // namespace umlab::kernel
