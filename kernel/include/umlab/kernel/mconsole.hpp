#pragma once
/// A client of UML's management console (mconsole): one command, one reply (../shared/UML.md §6).
///
/// Design notes
/// ------------
/// The guest listens on a unix datagram socket, <uml_dir>/<umid>/mconsole. A request is
/// magic 0xcafebabe, version 2, the command's length (< 512) and the command's text, in host
/// byte order; only 12 + length bytes are sent. The reply comes back to the client's own address,
/// so the client binds one (an abstract name with its pid and a counter, as uml_mconsole binds
/// its pid), in one or more datagrams: err (0 = ok, else an error, often a negative errno), more
/// (1: another datagram follows), the chunk's length including its NUL, and the text. `err` is
/// set on the first chunk only. A reply can be lost when the client's queue is full, so every
/// wait has a timeout.
///
/// Where the reply goes. An abstract address belongs to the network namespace it was bound in,
/// and a path to the mount namespace; a guest in another network namespace (every umlab guest
/// runs in its lab's) cannot answer an abstract address of the host's, and a jailed guest sees
/// only its lab's state directory. So the client binds a path in `replyDir` (a directory the
/// guest sees at the same path), made writable for the guest's user, and removes it afterwards;
/// with an empty `replyDir` it binds an abstract name, for a guest in the caller's namespace.
///
/// Traps this client does not hide, because only the caller can check them: `config ethN=...`
/// answers success even when the transport's init failed (look for the device in the guest),
/// and `remove ethN` answers -EBUSY while the device is up (take it down in the guest first).

#include <chrono>
#include <cstdint>
#include <string>

namespace umlab::kernel {

inline constexpr uint32_t kMconsoleMagic = 0xcafebabe;
inline constexpr uint32_t kMconsoleVersion = 2;
inline constexpr size_t kMconsoleMaxCommand = 511;

struct MconsoleReply {
  bool reached = false; ///< a reply came (false: no socket, refused, or timeout; `text` says which)
  bool ok = false;      ///< reached, and err was 0
  int32_t error = 0;    ///< err as the guest sent it
  std::string text;     ///< the reply's text, chunks joined; or what went wrong
};

/// Sends `command` to the mconsole socket at `socketPath` and collects the reply, which comes
/// to a socket in `replyDir` (see above).
MconsoleReply mconsoleCommand(const std::string& socketPath, const std::string& command,
                              const std::string& replyDir = {},
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

} // namespace umlab::kernel
