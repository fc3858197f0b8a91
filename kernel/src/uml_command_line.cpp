#include "umlab/kernel/uml_command_line.hpp"

#include "umlab/base/quantity.hpp"

namespace umlab::kernel {

std::vector<std::string> umlCommandLine(const GuestSpec& spec) {
  std::vector<std::string> argv;
  argv.reserve(12 + spec.netArgs.size() + spec.extraArgs.size());
  argv.push_back(spec.kernel);
  argv.push_back("umid=" + spec.umid);
  argv.push_back("uml_dir=" + spec.umlDir);
  argv.push_back("mem=" + formatByteSize(spec.memoryBytes));
  argv.push_back("ubd0=" + spec.cowPath + "," + spec.basePath);
  if (!spec.configDisk.empty())
    argv.push_back("ubd1r=" + spec.configDisk);
  argv.push_back("root=/dev/ubda");
  argv.push_back("rw");
  argv.push_back("con=null");
  argv.push_back("con0=fd:0,fd:1");
  argv.push_back("ssl=null");
  argv.push_back("ssl1=fd:3");
  argv.push_back("init=" + spec.init);
  argv.push_back("initcall_blacklist=raid6_select_algo,init_zswap");
  argv.push_back("cryptomgr.notests");
  argv.insert(argv.end(), spec.netArgs.begin(), spec.netArgs.end());
  argv.insert(argv.end(), spec.extraArgs.begin(), spec.extraArgs.end());
  return argv;
}

} // namespace umlab::kernel
