#pragma once
/// The lab runtime's failures as the user reads them: "lab 'x' is already running (...); stop it
/// with 'umlab down x' first". Front-ends print `what()` as it is (the CLI after "umlab: error: ",
/// the GUI in its status bar), so the text names the subject and what to do next.

#include <stdexcept>
#include <string>

namespace umlab::lab::runtime {

class RuntimeError : public std::runtime_error {
public:
  explicit RuntimeError(const std::string& message) : std::runtime_error(message) {}
};

} // namespace umlab::lab::runtime
