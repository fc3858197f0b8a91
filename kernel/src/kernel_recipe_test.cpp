// The kernel recipe: its hash, the built-in configuration and patches, finding Debian's sources,
// the configuration check after olddefconfig, and the compile counter.
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/kernel/kernel_builder.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace umlab::kernel;
namespace fs = std::filesystem;

TEST_CASE("kernel recipe: the built-in one carries umlab's configuration and patches") {
  const KernelRecipe r = builtinKernelRecipe("6.1.192-3", "/usr/src/linux-source-6.1.tar.xz");
  CHECK(r.name == "umlab");
  CHECK(r.sourcePackage == "linux-source-6.1");
  // what the issue asks of the configuration
  for (const char* option : {"CONFIG_NF_TABLES_INET=y", "CONFIG_NF_TABLES_IPV4=y", "CONFIG_NF_TABLES_IPV6=y",
                             "CONFIG_NF_TABLES_BRIDGE=y", "CONFIG_NF_TABLES_NETDEV=y", "CONFIG_NFT_NAT=y",
                             "CONFIG_NFT_MASQ=y", "CONFIG_NFT_CT=y", "CONFIG_NF_CONNTRACK=y", "CONFIG_UML_NET_PCAP=y",
                             "CONFIG_UML_NET_DAEMON=y", "CONFIG_UML_NET_MCAST=y", "CONFIG_UML_NET_VECTOR=y",
                             "CONFIG_VLAN_8021Q=y", "CONFIG_BRIDGE=y", "CONFIG_NET_SCH_NETEM=y", "CONFIG_NET_SCH_HTB=y",
                             "CONFIG_NET_SCH_TBF=y", "CONFIG_IP_NF_IPTABLES=y", "CONFIG_LOCALVERSION=\"-umlab\""})
    CHECK(r.config.find(std::string("\n") + option + "\n") != std::string::npos);
  CHECK(r.config.find("\n# CONFIG_MODULES is not set\n") != std::string::npos);
  CHECK(r.config.find("=m\n") == std::string::npos);
  REQUIRE(r.patches.size() >= 3);
  CHECK(r.patches[0].name == "0001-uml-net-live-mac-change.patch");
  CHECK(r.patches[0].text.find("IFF_LIVE_ADDR_CHANGE") != std::string::npos);
  for (const KernelPatch& p : r.patches) // every patch says why, before its first hunk
    CHECK(p.text.find("umlab:") < p.text.find("\n--- a/"));
  CHECK(r.expectedObjects > 1000);
  CHECK(expectedKernelRelease(r) == "6.1.192-umlab");
}

TEST_CASE("kernel recipe: the hash covers source version, configuration and patches, not the tarball's path") {
  const KernelRecipe base = builtinKernelRecipe("6.1.192-3", "/usr/src/linux-source-6.1.tar.xz");
  const std::string h = kernelRecipeHash(base);
  CHECK(h.size() == 16);
  CHECK(kernelDirName(base) == "umlab-" + h);
  KernelRecipe moved = base;
  moved.sourceTarball = "/elsewhere/linux.tar.xz";
  moved.expectedObjects = 1;
  CHECK(kernelRecipeHash(moved) == h);
  KernelRecipe other = base;
  other.sourceVersion = "6.1.193-1";
  CHECK(kernelRecipeHash(other) != h);
  other = base;
  other.config += "CONFIG_X=y\n";
  CHECK(kernelRecipeHash(other) != h);
  other = base;
  other.patches.pop_back();
  CHECK(kernelRecipeHash(other) != h);
  other = base;
  other.patches[0].text += " ";
  CHECK(kernelRecipeHash(other) != h);
}

TEST_CASE("kernel recipe: Debian's source package is found through dpkg's status file") {
  umlab::TempDir dir;
  const fs::path status = fs::path(dir.path()) / "status";
  const fs::path src = fs::path(dir.path()) / "src";
  fs::create_directories(src);
  std::ofstream(status) << "Package: linux-source-6.1\nStatus: deinstall ok config-files\nVersion: 6.1.100-1\n\n"
                           "Package: bc\nStatus: install ok installed\nVersion: 1.07\n\n"
                           "Package: linux-source-6.1\nStatus: install ok installed\nPriority: optional\n"
                           "Version: 6.1.192-3\nDescription: Linux kernel source\n";
  std::string error;
  CHECK_FALSE(findKernelSource("linux-source-6.1", &error, status.string(), src.string()));
  CHECK(error.find("reinstall it with 'apt-get install --reinstall linux-source-6.1'") != std::string::npos);
  std::ofstream(src / "linux-source-6.1.tar.xz") << "x";
  auto found = findKernelSource("linux-source-6.1", &error, status.string(), src.string());
  REQUIRE(found);
  CHECK(found->version == "6.1.192-3");
  CHECK(found->tarball == (src / "linux-source-6.1.tar.xz").string());
  CHECK_FALSE(findKernelSource("linux-source-6.9", &error, status.string(), src.string()));
  CHECK(error == "the kernel sources are not installed (Debian package linux-source-6.9); install it with "
                 "'apt-get install linux-source-6.9 bc bison flex libelf-dev libpcap-dev'");
}

TEST_CASE("kernel recipe: configDifferences names what olddefconfig changed") {
  const std::string wanted = "# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"-umlab\"\nCONFIG_D=y\n";
  CHECK(configDifferences(wanted, wanted).empty());
  CHECK(configDifferences(wanted, "CONFIG_A=y\nCONFIG_C=\"-umlab\"\nCONFIG_D=y\nCONFIG_NEW=y\n").empty());
  // the toolchain's own options may differ from machine to machine
  CHECK(configDifferences("CONFIG_CC_VERSION_TEXT=\"gcc 12\"\nCONFIG_GCC_VERSION=120200\nCONFIG_A=y\n",
                          "CONFIG_CC_VERSION_TEXT=\"gcc 13\"\nCONFIG_GCC_VERSION=130100\nCONFIG_A=y\n").empty());
  const auto changed = configDifferences(wanted, "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=\"\"\n");
  REQUIRE(changed.size() == 3);
  CHECK(changed[0] == "CONFIG_B=not set (now: y)");
  CHECK(changed[1] == "CONFIG_C=\"-umlab\" (now: \"\")");
  CHECK(changed[2] == "CONFIG_D=y (now: not set)");
}

TEST_CASE("kernel recipe: KbuildCounter counts Kbuild's compile lines only") {
  KbuildCounter c;
  CHECK(c.feed("  CC      kernel/fork.o"));
  CHECK(c.feed("  CC [U]  arch/um/os-Linux/file.o"));
  CHECK(c.feed("  AS      arch/x86/um/setjmp_64.o"));
  CHECK_FALSE(c.feed("  LD      vmlinux.o"));
  CHECK_FALSE(c.feed("  CC      kernel/fork.c")); // not an object
  CHECK_FALSE(c.feed("make[1]: Entering directory"));
  CHECK_FALSE(c.feed("  CCX     foo.o"));
  CHECK(c.compiled == 3);
  CHECK(c.describe(0) == "3 objects, arch/x86/um/setjmp_64.o");
  CHECK(c.describe(12) == "24 % of about 12 objects");
  CHECK(c.describe(1000) == "0 % of about 1000 objects");
  CHECK(c.describe(2) == "3 objects, arch/x86/um/setjmp_64.o"); // past the estimate: no percentage
}
