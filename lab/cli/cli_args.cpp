#include "cli_args.hpp"

#include "umlab/base/spelling.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <ostream>

namespace umlab::cli {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const std::string& x : v)
    if (x == s)
      return true;
  return false;
}
} // namespace

CliArgs::CliArgs(const std::vector<std::string>& args, std::vector<std::string> flags, std::vector<std::string> options)
    : flags_(std::move(flags)), options_(std::move(options)) {
  bool onlyPositional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (onlyPositional || a == "-" || a.empty() || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      onlyPositional = true;
      continue;
    }
    std::string name = a, value;
    bool hasValue = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      hasValue = true;
    }
    if (contains(flags_, name)) {
      if (hasValue)
        throw CliUsageError{"option '" + name + "' takes no value"};
      set_[name] = "";
    } else if (contains(options_, name)) {
      if (!hasValue) {
        if (i + 1 >= args.size())
          throw CliUsageError{"option '" + name + "' needs a value"};
        value = args[++i];
      }
      set_[name] = value;
      all_[name].push_back(value);
    } else {
      std::vector<std::string> all = flags_;
      all.insert(all.end(), options_.begin(), options_.end());
      throw CliUsageError{"unknown option '" + name + "'" + didYouMean(name, all)};
    }
  }
}

std::optional<std::string> CliArgs::get(const std::string& a, const std::string& b) const {
  if (auto it = set_.find(a); it != set_.end())
    return it->second;
  if (auto it = set_.find(b); !b.empty() && it != set_.end())
    return it->second;
  return std::nullopt;
}

int reportFailures(std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return 1;
  } catch (const lab::runtime::RuntimeError& e) {
    err << "umlab: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "umlab: error: " << e.what() << "\n";
    return 3;
  }
}

} // namespace umlab::cli
