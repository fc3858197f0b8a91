#include "umlab/lab/runtime/lab_state.hpp"


#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

LabState::LabState(std::string stateRoot, std::string lab)
    : root_(std::move(stateRoot)), lab_(std::move(lab)), dir_(root_ + "/" + lab_) {}

bool LabState::exists() const {
  std::error_code ec;
  return fs::is_directory(dir_, ec);
}

void LabState::appendProcess(const ProcessEntry& e) const {
  std::ofstream out(processesFile(), std::ios::app);
  out << e.kind << ' ' << e.name << ' ' << e.id.pid << ' ' << e.id.startTime << '\n';
}

std::vector<ProcessEntry> LabState::processes() const {
  std::vector<ProcessEntry> r;
  std::ifstream in(processesFile());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    ProcessEntry e;
    if (s >> e.kind >> e.name >> e.id.pid >> e.id.startTime)
      r.push_back(e);
  }
  return r;
}

std::optional<ProcessEntry> LabState::liveSupervisor() const {
  for (const ProcessEntry& e : processes())
    if (e.kind == "supervisor" && e.id.startTime != 0 && processStartTime(e.id.pid) == e.id.startTime)
      return e;
  return std::nullopt;
}

std::vector<std::string> listLabs(const std::string& stateRoot) {
  std::vector<std::string> labs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(stateRoot, ec))
    if (e.is_directory())
      labs.push_back(e.path().filename().string());
  std::sort(labs.begin(), labs.end());
  return labs;
}

} // namespace umlab::lab::runtime
