# Helpers shared by every module's CMakeLists.txt.

# umlab_add_library(NAME <module> SOURCES ... DEPS ...)
# One library per folder: headers under <module>/include/umlab/<module>/, sources under src/.
function(umlab_add_library module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(umlab_${module} STATIC ${ARG_SOURCES})
  target_include_directories(umlab_${module} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(umlab_${module} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  add_library(umlab::${module} ALIAS umlab_${module})
endfunction()

# umlab_add_unit_tests(<module> SOURCES ... DEPS ...)
# One Catch2 executable per module, each TEST_CASE registered with CTest by name.
function(umlab_add_unit_tests module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT UMLAB_TESTS OR UMLAB_FUZZ_ONLY)
    return()
  endif()
  add_executable(${module}_tests ${ARG_SOURCES} $<TARGET_OBJECTS:umlab_catch_main>)
  target_link_libraries(${module}_tests PRIVATE umlab::${module} ${ARG_DEPS} Catch2::Catch2)
  target_compile_definitions(${module}_tests PRIVATE
    UMLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" UMLAB_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # "-w NoTests": a test whose name CTest split (a ';' in it) runs nothing and must fail.
  catch_discover_tests(${module}_tests TEST_PREFIX "${module}: " EXTRA_ARGS -w NoTests
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
