#include "umlab/lab/runtime/limit_gate.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/state_roots.hpp"
#include "umlab/lab/runtime/user_account.hpp"

#include <sstream>

namespace umlab::lab::runtime {

Usage usageOf(const LaunchPlan& plan) {
  Usage u;
  u.guests = plan.guests.size();
  for (const GuestPlan& g : plan.guests)
    u.memoryBytes += g.memoryBytes;
  return u;
}

Usage usageOfLabs(const std::vector<std::string>& roots, const std::string& except) {
  Usage total;
  for (const std::string& root : roots)
    for (const std::string& lab : listLabs(root)) {
      if (lab == except)
        continue;
      LabState state(root, lab);
      if (!state.liveSupervisor())
        continue; // a crashed lab's leftovers run nothing
      std::string error;
      if (const std::optional<LaunchPlan> p = loadPlanJson(state.planFile(), error)) {
        const Usage u = usageOf(*p);
        total.guests += u.guests;
        total.memoryBytes += u.memoryBytes;
      } // else a lab still writing its plan: counted once it has one
    }
  return total;
}

std::optional<std::string> limitRefusal(const LaunchPlan& plan, const std::string& replacing,
                                        const std::string& limitsFile) {
  const UserAccount me = currentUserAccount();
  if (me.isRoot())
    return std::nullopt;
  SourceManager sources;
  Diagnostics diags;
  const std::optional<Limits> limits = loadLimits(limitsFile, sources, diags);
  if (!limits || diags.hasErrors()) {
    std::ostringstream text;
    renderDiagnostics(diags, text);
    return "the machine's limits file " + limitsFile + " has errors, so umlab runs no lab of a user until the "
           "administrator fixes it ('umlab limits' shows them):\n" + text.str();
  }
  if (!limits->exists)
    return std::nullopt;
  const EffectiveLimits mine = limitsFor(*limits, me.name, me.groups);
  return checkLimits(mine, usageOfLabs(callerStateRoots(), replacing), usageOf(plan));
}

} // namespace umlab::lab::runtime
