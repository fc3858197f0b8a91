#pragma once
/// What a running guest costs the host. A UML guest is several host processes: the kernel
/// process, helpers sharing its address space (CLONE_VM), and one process per guest address
/// space, some of which call setsid(). umlab starts each guest as PID 1 of its own PID
/// namespace (spawn.hpp), so "the guest" is that init and every process below it (in a PID
/// namespace an orphan is adopted by the namespace's init, so nothing of the guest escapes the
/// tree).
///
/// Design notes: the tree is walked through /proc/PID/task/TID/children, so measuring one guest
/// reads that guest's own few entries of /proc. The first version scanned all of /proc and read
/// every process's ns/pid link per guest: a supervisor of 40 guests spent 2 % of a CPU on it
/// while the lab was idle, and the cost grew with the square of the lab's size.

#include <cstdint>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// `root` and all its descendants (every thread's children), root first; empty when `root` is
/// gone. Processes that end during the walk are simply missing.
std::vector<pid_t> processTreeOf(pid_t root);

/// The proportional set size of `pids` in KiB, counting each address space once (processes
/// that share one are found with kcmp). UML's memory is a shared file mapping, so PSS splits it
/// fairly between everything that maps it: the sum is what these processes cost the host.
uint64_t proportionalSetSizeKiB(const std::vector<pid_t>& pids);

/// Whether CPU time counts the children a process has reaped (cutime, cstime): for a whole tree
/// (processTreeOf), Included is what the tree has used since it started, the processes that
/// already ended too (a UML kernel reaps its guest's processes); no time is counted twice.
enum class Reaped { Excluded, Included };

/// CPU time (user + system) `pids` have used so far, in seconds, threads included.
double cpuSeconds(const std::vector<pid_t>& pids, Reaped reaped = Reaped::Excluded);

} // namespace umlab::lab::runtime
