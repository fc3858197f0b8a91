#pragma once
// umlab class up|ps|test|down (class_command.cpp): one copy of a lab per student account
// (lab/runtime/classroom.hpp). It parses and prints; the runtime library boots and reaches
// the students' labs.

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kClassHelp;

int runClassCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace umlab::cli
