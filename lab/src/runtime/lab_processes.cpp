#include "umlab/lab/runtime/lab_processes.hpp"

#include <algorithm>
#include <memory>

namespace umlab::lab::runtime {

void LabProcesses::startAll(const LaunchPlan& plan, LaunchHooks& hooks) {
  try {
    for (const SwitchPlan& sp : plan.switches) {
      const Entry& e = start(ProcessRole::Switch, sp.segment, hooks.switchSpec(sp));
      hooks.switchStarted(sp, e.id);
    }
    hooks.beforeGuests();
    for (const GuestPlan& gp : plan.guests) {
      if (hooks.isGuestDeferred(gp))
        continue;
      const Entry& e = start(ProcessRole::Guest, gp.name, hooks.guestSpec(gp));
      hooks.guestStarted(gp, e.id);
    }
  } catch (...) {
    stopAll(&hooks);
    throw;
  }
}

const LabProcesses::Entry& LabProcesses::start(ProcessRole role, const std::string& name, const ProcessSpec& spec) {
  const ProcessId id = runner_.start(spec);
  entries_.push_back(Entry{role, name, id, false, {}});
  return entries_.back();
}

const LabProcesses::Entry* LabProcesses::markEnded(pid_t pid, ExitStatus status) {
  for (Entry& e : entries_)
    if (e.id.pid == pid && !e.isReaped) {
      e.isReaped = true;
      e.status = status;
      return &e;
    }
  return nullptr;
}

void LabProcesses::stop(ProcessRole role, const std::string& name) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.role == role && e.name == name; });
  if (it == entries_.end())
    return;
  const bool reaped[] = {it->isReaped};
  runner_.stop(std::span<const ProcessId>(&it->id, 1), reaped);
  entries_.erase(it);
}

void LabProcesses::kill(ProcessRole role, const std::string& name) {
  for (const Entry& e : entries_)
    if (e.role == role && e.name == name && !e.isReaped)
      runner_.kill(e.id);
}

void LabProcesses::forgetEnded(ProcessRole role, const std::string& name) {
  std::erase_if(entries_, [&](const Entry& e) { return e.role == role && e.name == name && e.isReaped; });
}

void LabProcesses::stopRole(ProcessRole role) {
  std::vector<ProcessId> ids;
  auto reaped = std::make_unique<bool[]>(entries_.size());
  // Last started first: within one grace period the order only decides who is signalled first.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->role == role) {
      reaped[ids.size()] = it->isReaped;
      ids.push_back(it->id);
    }
  if (!ids.empty())
    runner_.stop(ids, std::span<const bool>(reaped.get(), ids.size()));
  std::erase_if(entries_, [&](const Entry& e) { return e.role == role; });
}

void LabProcesses::stopAll(LaunchHooks* hooks) {
  stopRole(ProcessRole::Guest);
  if (hooks)
    hooks->afterGuestsStopped();
  stopRole(ProcessRole::Switch);
}

const LabProcesses::Entry* LabProcesses::find(ProcessRole role, const std::string& name) const {
  for (const Entry& e : entries_)
    if (e.role == role && e.name == name)
      return &e;
  return nullptr;
}

} // namespace umlab::lab::runtime
