#pragma once
/// What a running guest costs the host. A UML guest is several host processes: the kernel
/// process, helpers sharing its address space (CLONE_VM), and one process per guest address
/// space, some of which call setsid(). umlab starts each guest as PID 1 of its own PID
/// namespace (spawn.hpp), so "the guest" is every process in that namespace.

#include <cstdint>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// Every process in the PID namespace whose init (as seen from here) is `init`.
std::vector<pid_t> processesInPidNamespaceOf(pid_t init);

/// The proportional set size of `pids` in KiB, counting each address space once (processes
/// that share one are found with kcmp). UML's memory is a shared file mapping, so PSS splits it
/// fairly between everything that maps it: the sum is what these processes cost the host.
uint64_t proportionalSetSizeKiB(const std::vector<pid_t>& pids);

} // namespace umlab::lab::runtime
