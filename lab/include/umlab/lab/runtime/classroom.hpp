#pragma once
/// A class (docs/classroom.md): one copy of a lab per student account, each owned by its student
/// and run rootless under the student's own uid (user_namespace.hpp), so that the student then
/// uses `umlab console/exec/...` as themself and sees only their own copy.
///
/// The teacher runs `umlab class up` as root. For each student a child process takes the student's
/// identity for good (groups, gid, uid; HOME, USER; no $XDG_RUNTIME_DIR, $UMLAB_STATE_DIR or
/// $UMLAB_CACHE_DIR of the teacher's) and boots the lab exactly as the student's own `umlab up`
/// would: under the student's session-less state root /tmp/umlab-<uid> (state_roots.hpp), on
/// images from /var/lib/umlab/images, within the student's limits (limit_gate.hpp). A few
/// students boot at a time, in list order, so the cores are shared evenly.
///
/// The class is recorded in /run/umlab-classes/<class>.json (root's, 0700): the topology, the
/// lab's name, the teacher and the students, for `class ps`, `class test` and `class down`.
///
/// The students file: one account name per line; `#` starts a comment; blank lines are skipped.
/// A CSV export works too: the first field of each line is the account, and a first line whose
/// first field is `account`, `login`, `user` or `username` is a header.

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/source.hpp"
#include "umlab/lab/runtime/user_account.hpp"

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// A student is an account of the machine's.
using Student = LoginAccount;

/// The accounts of a students file. Errors at file:line:col: an unknown account, root, a
/// duplicate, an empty file.
std::optional<std::vector<Student>> loadStudents(const std::string& path, SourceManager& sources, Diagnostics& diags);
/// As `loadStudents`, from text (for tests); `lookup` finds an account (getpwnam by default).
std::optional<std::vector<Student>> parseStudents(const std::string& path, std::string text, SourceManager& sources,
                                                  Diagnostics& diags,
                                                  const std::function<std::optional<Student>(const std::string&)>& lookup);

struct ClassRecord {
  std::string name;     ///< the class: by default the lab's name
  std::string topology; ///< absolute path of what `class up` booted
  std::string lab;      ///< the lab's name in every student's copy
  std::string teacher;  ///< who ran `class up` (SUDO_USER, else the account)
  std::vector<std::string> students;
};

/// Where class records live: $UMLAB_CLASS_DIR (tests), else /run/umlab-classes.
std::string classDirectory();
void saveClass(const ClassRecord& record);
/// Throws RuntimeError when there is no such class (naming the classes there are).
ClassRecord loadClass(const std::string& name);
std::vector<std::string> listClasses();
void removeClass(const std::string& name);

/// Makes the calling process `account` for good: its groups, gid and uid, dumpable again (its
/// /proc files are the account's), HOME/USER/LOGNAME set, and none of the caller's
/// $XDG_RUNTIME_DIR, $UMLAB_STATE_DIR, $UMLAB_CACHE_DIR or sudo variables. Root only. Returns 0
/// or the errno.
int becomeAccount(const Student& account);

/// Runs `work` in a child process that has become `student` for good; what it writes to its
/// stdout and stderr reaches `onLine`, a line at a time. Returns the child's exit status.
/// Only root may call it.
struct StudentRun {
  pid_t pid = -1;
  int outputFd = -1; ///< the read end of the child's stdout+stderr; the caller closes it
};
StudentRun startAsStudent(const Student& student, const std::function<int()>& work);

} // namespace umlab::lab::runtime
