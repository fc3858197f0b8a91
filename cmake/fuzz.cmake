# The libFuzzer targets (fuzz/) and their CTest entries; included when UMLAB_FUZZ is ON.
#
# libFuzzer needs clang, and the main build may use GCC, so the fuzzers come from a sub-build of
# this same source tree (ExternalProject 'umlab_fuzzers') configured with clang++ and
# UMLAB_FUZZ_ONLY=ON: only base, transports, kernel and lab, instrumented with
# -fsanitize=fuzzer-no-link,address,undefined, plus fuzz/. Prebuilt libraries such as yaml-cpp
# are not instrumented; the sanitizers still see every allocation through their interceptors.
#
# fuzz.topology runs topology_fuzzer for a bounded, repeatable amount of work: -runs inputs with
# -seed=1, from the seed corpus copied below (every topologies/*.yaml and tests/data/**/*.yaml).
# fuzz.packet runs packet_fuzzer the same way from fuzz/seeds/packet/, one Ethernet frame per
# file (IPv4, IPv6 with extension headers, ICMP errors, NDP, ARP, an 802.1Q tag).
# Without clang++ the test still exists and is skipped (exit code 77).

set(UMLAB_FUZZ_RUNS 50000 CACHE STRING "How many inputs the fuzz.* tests run")
set(UMLAB_FUZZ_BUILD_JOBS 1 CACHE STRING "Parallel jobs of the fuzz sub-build (one outer build job runs it)")
find_program(UMLAB_CLANGXX NAMES clang++ DOC "clang++ for the libFuzzer sub-build")

enable_testing()
set(fuzz_dir ${CMAKE_BINARY_DIR}/fuzz)

if(NOT UMLAB_CLANGXX)
  message(STATUS "clang++ not found: the fuzz.* tests will be skipped")
  foreach(fuzzer IN ITEMS topology packet capture)
    add_test(NAME fuzz.${fuzzer}
             COMMAND sh -c "echo 'clang++ not found: the libFuzzer targets need clang (apt-get install clang)'; exit 77")
    set_tests_properties(fuzz.${fuzzer} PROPERTIES SKIP_RETURN_CODE 77 LABELS fuzz)
  endforeach()
  return()
endif()

include(ExternalProject)
ExternalProject_Add(umlab_fuzzers
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  PREFIX ${fuzz_dir}/ep
  BINARY_DIR ${fuzz_dir}/build
  CMAKE_ARGS
    -DCMAKE_CXX_COMPILER=${UMLAB_CLANGXX}
    -DCMAKE_BUILD_TYPE=Debug
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
    "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1"
    "-DUMLAB_FUZZ_LINK_FLAGS=-fsanitize=fuzzer,address,undefined"
    -DUMLAB_FUZZ_ONLY=ON
    -DUMLAB_TESTS=OFF
    -DUMLAB_FUZZ=OFF
  CMAKE_CACHE_ARGS
    -DCMAKE_PREFIX_PATH:STRING=${CMAKE_PREFIX_PATH}
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target topology_fuzzer packet_fuzzer capture_fuzzer -j ${UMLAB_FUZZ_BUILD_JOBS}
  BUILD_BYPRODUCTS ${fuzz_dir}/build/bin/topology_fuzzer ${fuzz_dir}/build/bin/packet_fuzzer
                   ${fuzz_dir}/build/bin/capture_fuzzer
  BUILD_ALWAYS ON # the sub-build decides what is out of date
  INSTALL_COMMAND ""
  USES_TERMINAL_BUILD ON)

# The seed corpus: one file per seed, named after its path so that tests/data/<case>/lab.yaml
# files do not collide. Copied at configure time; configure_file reruns CMake when one changes.
set(seed_dir ${fuzz_dir}/seeds/topology)
file(GLOB seeds CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/topologies/*.yaml)
file(GLOB_RECURSE test_seeds CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/data/*.yaml)
file(REMOVE_RECURSE ${seed_dir})
file(MAKE_DIRECTORY ${seed_dir})
foreach(seed IN LISTS seeds test_seeds)
  file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR} ${seed})
  string(REPLACE "/" "_" seed_name "${relative}")
  configure_file(${seed} ${seed_dir}/${seed_name} COPYONLY)
endforeach()

add_test(NAME fuzz.topology
         COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run_fuzzer.sh ${fuzz_dir}/build/bin/topology_fuzzer
                 ${fuzz_dir}/run/topology ${seed_dir}
                 -runs=${UMLAB_FUZZ_RUNS} -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048
                 -dict=${PROJECT_SOURCE_DIR}/fuzz/topology.dict -print_final_stats=1)
set_tests_properties(fuzz.topology PROPERTIES
  TIMEOUT 300
  LABELS fuzz
  ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1;ASAN_OPTIONS=detect_leaks=1")

# fuzz.packet runs packet_fuzzer the same way from fuzz/seeds/packet/ (one Ethernet frame per
# file), fuzz.capture runs capture_fuzzer from fuzz/seeds/capture/: whole capture files (pcap in
# both byte orders, nanoseconds, the modified variant, pcapng), read as umlab replay streams them.
foreach(fuzzer_and_length IN ITEMS packet:2048 capture:8192)
  string(REPLACE ":" ";" parts "${fuzzer_and_length}")
  list(GET parts 0 fuzzer)
  list(GET parts 1 max_len)
  add_test(NAME fuzz.${fuzzer}
           COMMAND sh ${PROJECT_SOURCE_DIR}/fuzz/run_fuzzer.sh ${fuzz_dir}/build/bin/${fuzzer}_fuzzer
                   ${fuzz_dir}/run/${fuzzer} ${PROJECT_SOURCE_DIR}/fuzz/seeds/${fuzzer}
                   -runs=${UMLAB_FUZZ_RUNS} -seed=1 -max_len=${max_len} -timeout=10 -rss_limit_mb=2048
                   -print_final_stats=1)
  set_tests_properties(fuzz.${fuzzer} PROPERTIES
    TIMEOUT 300
    LABELS fuzz
    ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1;ASAN_OPTIONS=detect_leaks=1")
endforeach()
