#pragma once
/// A client of umlab-switchd's text admin socket (docs/switchd.md): one command, one reply.
/// Used by `umlab ps` (counters), `umlab link` (conditions), `umlab capture` and `umlab replay`.

#include "umlab/base/unique_fd.hpp"

#include <chrono>
#include <string>

namespace umlab::lab::runtime {

struct AdminReply {
  bool ok = false;      ///< the switch answered, and not with "error: ..."
  std::string text;     ///< the reply without its closing empty line; for errors, what went wrong
  bool reached = false; ///< the switch answered at all (false: no socket, no answer in time)
};

/// Sends `command` to the admin socket at `adminPath` and waits up to `timeout` for the reply.
AdminReply switchAdmin(const std::string& adminPath, const std::string& command,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
/// The same over a connection already made to the switch at `adminPath` (invalid: "cannot reach").
AdminReply switchAdmin(UniqueFd connection, const std::string& adminPath, const std::string& command,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

/// The value of `key=` in a reply's line that contains `marker` (e.g. " name=pc1:eth0 "), or
/// the first line when `marker` is empty; -1 when there is none.
long long adminValue(const std::string& reply, const std::string& marker, const std::string& key);

} // namespace umlab::lab::runtime
