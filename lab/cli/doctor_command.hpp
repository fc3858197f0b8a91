#pragma once
// umlab doctor (doctor_command.cpp): check that this machine can run labs, and say what to fix.

#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

extern const char* const kDoctorHelp;

/// Runs `umlab doctor ...`; `args` excludes "doctor".
int runDoctorCommand(const std::string& self, const std::vector<std::string>& args, std::ostream& out,
                     std::ostream& err);

} // namespace umlab::cli
