#pragma once
/// A host program's port on a switch segment: the client side of UML's `daemon` transport, for
/// programs that take part in a lab's traffic without being a guest (the replay engine of
/// `umlab replay --through`).
///
/// Design notes
/// ------------
/// `join` does what a UML guest NIC does at configure time (arch/um/drivers/daemon_user.c; the
/// protocol is in daemon_protocol.hpp and ../shared/UML.md §1): it connects a stream socket to the
/// switch's control path, binds a datagram socket, sends the 124-byte request naming it and reads
/// the switch's 110-byte reply, the address frames are sent to. The data socket is bound in the
/// abstract namespace, as UML's is, so nothing is left in the filesystem; its name holds the pid,
/// the socket's own descriptor number and the time, unique per process and per client, padded
/// with zeros and bound with addrlen 110 (the switch copies all 108 bytes and sends to them).
///
/// Roles. A `Guest` is what UML is (request type 0) and works with any uml_switch-compatible
/// switch. A `Probe` (request type `kRequestProbe`) also receives a copy of every frame that
/// enters the segment, unicast between other ports included, and needs umlab-switchd: a plain
/// uml_switch closes the connection on the unknown type, which `join` reports.
///
/// After the join everything is non-blocking: the caller polls `fd()` for frames (and for room to
/// send after `send` returned false) and `controlFd()` for the switch going away (it becomes
/// readable at the switch's end of the connection). Leaving is closing: the destructor closes the
/// control connection, which removes the port, and the data socket.
///
/// Errors. System failures throw std::system_error whose message names the control path and the
/// step ("connect to <ctl>", "bind data socket", "handshake with <ctl>: ..."), as the house's
/// RAII constructors do; a full socket is not an error (`send` returns false).

#include "umlab/base/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

namespace umlab::transports {

class SwitchClient {
public:
  enum class Role {
    Guest, ///< request type 0, as a UML guest NIC: any uml_switch-compatible switch
    Probe, ///< request type kRequestProbe: sees every frame of the segment; umlab-switchd only
  };

  /// Joins the switch whose control socket is `ctlPath`. Waits at most 5 s for the switch's reply
  /// (umlab-switchd drops a request it has not completed after 5 s too). Throws
  /// std::system_error: "connect to <ctl>" (no such socket, nobody listening, a full backlog),
  /// "bind data socket", "handshake with <ctl>: the switch closed the connection (...)" (the
  /// switch refused the request: a probe on a switch that is not umlab-switchd, a full switch, a
  /// duplicate address), "handshake with <ctl>: no reply within 5 s", or a short reply.
  static SwitchClient join(const std::string& ctlPath, Role role);
  /// As above, with `dataSocket` (an unbound AF_UNIX datagram socket) as the data socket. The
  /// switch's data address is an abstract name, which lives in a network namespace: a switch in
  /// a lab's namespace is reached through a socket made there (LabClient makes it), wherever the
  /// caller runs.
  static SwitchClient join(const std::string& ctlPath, Role role, UniqueFd dataSocket);

  SwitchClient(SwitchClient&&) noexcept = default;
  SwitchClient& operator=(SwitchClient&&) noexcept = default;
  SwitchClient(const SwitchClient&) = delete;
  SwitchClient& operator=(const SwitchClient&) = delete;
  /// Closes the control connection (the switch removes the port) and the data socket.
  ~SwitchClient() = default;

  /// Sends one Ethernet frame (no header, no FCS). Returns false when the switch's socket is full
  /// (EAGAIN): poll `fd()` for POLLOUT and send again. Throws std::system_error for any other
  /// failure, such as ECONNREFUSED once the switch is gone.
  bool send(std::span<const uint8_t> frame);
  /// Moves the next waiting frame into `buffer` and returns its size; nullopt when none waits. A
  /// frame larger than `buffer` is truncated to it (a buffer of 1526 bytes, UML's, holds every
  /// frame umlab-switchd forwards). Throws std::system_error when the socket fails.
  std::optional<size_t> receive(std::span<uint8_t> buffer);

  /// The data socket, to poll for frames (POLLIN) and room to send (POLLOUT).
  int fd() const { return data_.get(); }
  /// The control connection: readable (EOF) or hung up when the switch goes away.
  int controlFd() const { return control_.get(); }
  /// True once the switch has closed the control connection (checked without blocking; what the
  /// switch might send on it is read and ignored).
  bool isSwitchGone();

  Role role() const { return role_; }
  /// The client's data address as the switch knows it (abstract, 110 bytes).
  const sockaddr_un& address() const { return address_; }

private:
  SwitchClient(UniqueFd control, UniqueFd data, const sockaddr_un& address, const sockaddr_un& switchAddress,
               Role role)
      : control_(std::move(control)), data_(std::move(data)), address_(address), switchAddress_(switchAddress),
        role_(role) {}

  UniqueFd control_;
  UniqueFd data_;
  sockaddr_un address_{};
  sockaddr_un switchAddress_{};
  Role role_ = Role::Guest;
  bool isGone_ = false;
};

} // namespace umlab::transports
