#include "umlab/kernel/uml_command_line.hpp"

#include <catch2/catch.hpp>

using namespace umlab::kernel;

TEST_CASE("a guest command line boots from its COW over the shared base", "[kernel]") {
  GuestSpec g;
  g.kernel = "/usr/bin/linux.uml";
  g.umid = "lan.pc1";
  g.umlDir = "/run/umlab/lan/uml";
  g.memoryBytes = 128ULL << 20;
  g.cowPath = "/run/umlab/lan/cow/pc1.cow";
  g.basePath = "/root/.cache/umlab/images/default/rootfs.img";
  g.configDisk = "/run/umlab/lan/nodes/pc1/config.img";
  g.netArgs = {"eth0=daemon,02:00:00:00:00:01,unix,/run/umlab/lan/sw/lan.ctl"};
  g.extraArgs = {"umlab.node=pc1"};
  CHECK(umlCommandLine(g) == std::vector<std::string>{
                                 "/usr/bin/linux.uml", "umid=lan.pc1", "uml_dir=/run/umlab/lan/uml", "mem=128M",
                                 "ubd0=/run/umlab/lan/cow/pc1.cow,/root/.cache/umlab/images/default/rootfs.img",
                                 "ubd1r=/run/umlab/lan/nodes/pc1/config.img",
                                 "root=/dev/ubda", "rw", "con=null", "con0=fd:0,fd:1", "ssl=null", "ssl1=fd:3",
                                 "init=/sbin/umlab-boot", "initcall_blacklist=raid6_select_algo,init_zswap",
                                 "cryptomgr.notests",
                                 "eth0=daemon,02:00:00:00:00:01,unix,/run/umlab/lan/sw/lan.ctl", "umlab.node=pc1"});
}
