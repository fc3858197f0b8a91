// LabClient against a fake supervisor: a thread that listens on the lab's control socket and
// answers each request from a script, so the client's side of the protocol (lab_state.hpp) is
// tested without root, UML or a real supervisor.
#include "umlab/lab/runtime/lab_client.hpp"

#include "umlab/base/process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <poll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::runtime;
namespace agent = umlab::kernel::agent;

namespace {

/// A supervisor that answers one connection per entry of `script`: the entry gets the request
/// line and the connection, and says what to do.
class FakeSupervisor {
public:
  using Handler = std::function<void(const std::string& request, int fd)>;

  FakeSupervisor(const std::string& root, const std::string& lab, std::vector<Handler> script)
      : state_(root, lab), script_(std::move(script)) {
    ::mkdir((root + "/" + lab).c_str(), 0700);
    // This test process stands in for the supervisor: it is alive and has a start time.
    state_.appendProcess({"supervisor", lab, ProcessId{::getpid(), processStartTime(::getpid())}});
    listener_ = listenUnixStream(state_.controlSocket());
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeSupervisor() { thread_.join(); }
  const std::vector<std::string>& requests() const { return requests_; }

private:
  void serve() {
    for (Handler& h : script_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1)
        return;
      UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      std::optional<std::string> line = readLine(c.get(), std::chrono::seconds(5));
      requests_.push_back(line.value_or("<none>"));
      h(requests_.back(), c.get());
    }
  }
  LabState state_;
  std::vector<Handler> script_;
  UniqueFd listener_;
  std::thread thread_;
  std::vector<std::string> requests_;
};

const char* kStatus =
    R"({"lab": "f", "stateDir": "/s/f", "state": "running", "supervisor": 42, "nodes": [{"name": "pc1", "state": "ready", )"
    R"("pid": 7, "uptimeSeconds": 3, "memoryKiB": 30000, "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", )"
    R"("ip": "10.0.0.1/24", "attachedTo": "switch lan", "hotPlugged": false}]}], "switches": [{"segment": "lan", )"
    R"("state": "not answering", "pid": 8, "hasCounters": true, "countersAgeSeconds": 2.5, "ports": [{"name": "pc1:eth0", )"
    R"("kind": "daemon", "rxFrames": 5, "rxBytes": 500, "txFrames": 6, "txBytes": 600, "drops": 1, "in": "none", "out": "delay:20ms"}]}]})"
    "\n";

} // namespace

TEST_CASE("status is a typed reply, and a switch that does not answer says so", "[lab][client]") {
  TempDir root("umlab-client");
  FakeSupervisor sup(root.path().string(), "f", {[](const std::string&, int fd) { writeAll(fd, kStatus); }});
  const LabStatus s = LabClient(root.path().string()).status("f");
  CHECK(sup.requests() == std::vector<std::string>{R"({"op": "ps"})"});
  REQUIRE(s.nodes.size() == 1);
  CHECK(s.nodes[0].memoryKiB == 30000);
  CHECK(s.nodes[0].interfaces[0].attachedTo == "switch lan");
  REQUIRE(s.switches.size() == 1);
  CHECK(s.switches[0].state == "not answering");
  CHECK(s.switches[0].ports[0].txBytes == 600);
  CHECK(s.switches[0].ports[0].conditionsOut == "delay:20ms");
  CHECK(renderLabStatusText(s).find("switch lan: not answering, pid 8, 1 ports, 5 frames in, 6 out, 1 dropped") !=
        std::string::npos);
}

TEST_CASE("exec: the client's frames go out, output and the exit code come back", "[lab][client]") {
  TempDir root("umlab-client");
  FakeSupervisor sup(root.path().string(), "f", {[](const std::string&, int fd) {
                                          writeAll(fd, "{\"ok\": true}\n");
                                          // The client's exec frame, then a reply as an agent would send.
                                          agent::FrameDecoder d;
                                          char buf[4096];
                                          std::optional<agent::Frame> f;
                                          while (!f) {
                                            const ssize_t n = ::read(fd, buf, sizeof buf);
                                            REQUIRE(n > 0);
                                            d.feed(std::span<const char>(buf, size_t(n)));
                                            f = d.next();
                                          }
                                          CHECK(f->type == agent::FrameType::Exec);
                                          std::string out;
                                          agent::encodeFrame({agent::FrameType::Stdout, f->id, "hello\n"}, out);
                                          agent::encodeFrame({agent::FrameType::Stderr, f->id, "oops\n"}, out);
                                          agent::ExitStatus st;
                                          st.code = 3;
                                          agent::encodeFrame({agent::FrameType::Exit, f->id, agent::encodeExitStatus(st)}, out);
                                          writeAll(fd, out);
                                        },
                                        [](const std::string&, int fd) {
                                          writeAll(fd, "{\"ok\": false, \"error\": \"lab 'f' has no node 'zz'\"}\n");
                                        }});
  LabClient client(root.path().string());
  const ExecResult r = client.exec("f", "pc1", {"echo", "hello"});
  CHECK(r.exitCode == 3);
  CHECK(r.out == "hello\n");
  CHECK(r.err == "oops\n");
  CHECK(r.error.empty());
  const ExecResult refused = client.exec("f", "zz", {"true"});
  CHECK(refused.isRefused);
  CHECK(refused.exitCode == -1);
  CHECK(refused.error == "lab 'f' has no node 'zz'");
  CHECK(sup.requests()[0] == R"({"op": "exec", "node": "pc1"})");
}

TEST_CASE("events arrive one per line until the lab goes down, and plug errors are the supervisor's words", "[lab][client]") {
  TempDir root("umlab-client");
  FakeSupervisor sup(root.path().string(), "f",
                     {[](const std::string&, int fd) {
                        writeAll(fd, "{\"ok\": true}\n{\"type\": \"node\", \"time\": 1.5, \"node\": \"a\", \"state\": \"ready\", "
                                     "\"pid\": 9}\n{\"type\": \"counters\", \"time\": 2, \"segment\": \"lan\", \"ports\": []}\n");
                        writeAll(fd, "{\"type\": \"lab\", \"time\": 3, \"lab\": \"f\", \"state\": \"down\"}\n{\"type\": \"never\"}\n");
                      },
                      [](const std::string&, int fd) {
                        writeAll(fd, "{\"ok\": false, \"error\": \"a already has an interface eth1\"}\n");
                      }});
  LabClient client(root.path().string());
  std::vector<std::string> types;
  client.events("f", [&](const LabEvent& e) {
    types.emplace_back(labEventJson(e).substr(10, labEventJson(e).find('"', 10) - 10));
    return true;
  });
  CHECK(types == std::vector<std::string>{"node", "counters", "lab"});
  CHECK_THROWS_WITH(client.plug("f", "a", "eth1", "lan", ""), "a already has an interface eth1");
  CHECK(sup.requests()[1] == R"({"op": "plug", "node": "a", "iface": "eth1", "segment": "lan", "ip": ""})");
}

TEST_CASE("a lab that is not there, or whose supervisor is gone, is an error that says what to do", "[lab][client]") {
  TempDir root("umlab-client");
  LabClient client(root.path().string());
  CHECK_THROWS_WITH(client.status("nolab"), Catch::Contains("no lab named 'nolab' is running"));
  CHECK_THROWS_WITH(client.down("nolab"), Catch::Contains("'umlab ps' lists the running labs"));
  CHECK_THROWS_WITH(client.status("bad name"), Catch::Contains("no lab named"));
  // A state directory whose supervisor is gone: status says crashed, clean removes it.
  ::mkdir((root.path().string() + "/gone").c_str(), 0700);
  LabState(root.path().string(), "gone").appendProcess({"supervisor", "gone", ProcessId{999999, 12345}});
  CHECK(client.status("gone").state == "crashed");
  CHECK(client.cleanCrashed("gone") == std::optional<size_t>(0));
  CHECK(client.labs().empty());
}

TEST_CASE("a cancelled exec kills the command and returns at once", "[lab][client]") {
  TempDir root("umlab-client");
  std::optional<agent::FrameType> lastFrame;
  auto sup = std::make_unique<FakeSupervisor>(root.path().string(), "f", std::vector<FakeSupervisor::Handler>{[&](const std::string&, int fd) {
                                                   writeAll(fd, "{\"ok\": true}\n");
                                                   // Read frames until the client goes: the last is its SIGKILL.
                                                   agent::FrameDecoder d;
                                                   char buf[4096];
                                                   for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
                                                     d.feed(std::span<const char>(buf, size_t(n)));
                                                     while (auto f = d.next())
                                                       lastFrame = f->type;
                                                   }
                                                 }});
  int cancel[2];
  REQUIRE(::pipe(cancel) == 0);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    REQUIRE(::write(cancel[1], "x", 1) == 1);
  });
  ExecOptions o;
  o.cancelFd = cancel[0];
  const auto start = std::chrono::steady_clock::now();
  const ExecResult r = LabClient(root.path().string()).exec("f", "pc1", {"sleep", "60"}, o);
  later.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(r.exitCode == -1);
  CHECK(r.error == "'sleep' in node 'pc1' was cancelled and killed");
  ::close(cancel[0]);
  ::close(cancel[1]);
  sup.reset(); // joins the fake's thread, which ends when the client closed the connection
  CHECK(lastFrame == std::optional<agent::FrameType>(agent::FrameType::Signal));
}

TEST_CASE("a node action is one request that returns when done, and a refusal is the supervisor's words",
          "[lab][client][node]") {
  TempDir root("umlab-client");
  FakeSupervisor sup(root.path().string(), "f",
                     {[](const std::string&, int fd) { writeAll(fd, "{\"ok\": true}\n"); },
                      [](const std::string&, int fd) {
                        writeAll(fd, "{\"ok\": false, \"error\": \"node 'a' is running (ready); 'umlab node f a restart' "
                                     "reboots it\"}\n");
                      }});
  LabClient client(root.path().string());
  client.nodeAction("f", "a", NodeAction::Stop);
  CHECK_THROWS_WITH(client.nodeAction("f", "a", NodeAction::Start),
                    "node 'a' is running (ready); 'umlab node f a restart' reboots it");
  CHECK(sup.requests() == std::vector<std::string>{R"({"op": "node", "node": "a", "action": "stop"})",
                                                   R"({"op": "node", "node": "a", "action": "start"})"});
}

TEST_CASE("node actions have one word each, both ways", "[lab][client][node]") {
  for (NodeAction a : {NodeAction::Stop, NodeAction::Start, NodeAction::Restart, NodeAction::Crash})
    CHECK(parseNodeAction(nodeActionName(a)) == std::optional<NodeAction>(a));
  CHECK(std::string(nodeActionName(NodeAction::Crash)) == "crash");
  CHECK_FALSE(parseNodeAction("reboot"));
  CHECK_FALSE(parseNodeAction(""));
}
