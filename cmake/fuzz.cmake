# SPDX-License-Identifier: Apache-2.0
# The fuzz targets of tests/fuzz/, two ways:
#  * SWITCHBOARD_FUZZ=ON (clang only): libFuzzer executables, fuzz_<name>, with ASan+UBSan
#    when SWITCHBOARD_SANITIZE is on too (as `make fuzz` configures build-fuzz). The `fuzzers`
#    target builds them all.
#  * otherwise, with the tests: the same targets linked to a replay driver, fuzz_<name>_replay,
#    and one ctest each that runs the target over its committed corpus (seeds and every past
#    finding), so a finding, once fixed, stays fixed in every build, the sanitizer one included.
option(SWITCHBOARD_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)

set(SWITCHBOARD_FUZZ_TARGETS config config_edit admin host_port http etcd)
set(SWITCHBOARD_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

if(SWITCHBOARD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SWITCHBOARD_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage feedback for the library under test; libFuzzer's main comes with the targets.
  target_compile_options(switchboard_core PRIVATE -fsanitize=fuzzer-no-link)
  add_custom_target(fuzzers)
  foreach(name IN LISTS SWITCHBOARD_FUZZ_TARGETS)
    add_executable(fuzz_${name} ${SWITCHBOARD_FUZZ_DIR}/fuzz_${name}.cpp)
    target_compile_options(fuzz_${name} PRIVATE ${SWITCHBOARD_WARNINGS} -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE switchboard_core)
    target_include_directories(fuzz_${name} PRIVATE ${SWITCHBOARD_FUZZ_DIR})
    add_dependencies(fuzzers fuzz_${name})
  endforeach()
elseif(SWITCHBOARD_TESTS)
  foreach(name IN LISTS SWITCHBOARD_FUZZ_TARGETS)
    add_executable(fuzz_${name}_replay ${SWITCHBOARD_FUZZ_DIR}/fuzz_${name}.cpp
                                       ${SWITCHBOARD_FUZZ_DIR}/replay_main.cpp)
    target_compile_options(fuzz_${name}_replay PRIVATE ${SWITCHBOARD_WARNINGS})
    target_link_libraries(fuzz_${name}_replay PRIVATE switchboard_core)
    target_include_directories(fuzz_${name}_replay PRIVATE ${SWITCHBOARD_FUZZ_DIR})
    add_test(NAME fuzz_${name}_corpus
             COMMAND fuzz_${name}_replay ${SWITCHBOARD_FUZZ_DIR}/corpus/${name})
  endforeach()
endif()
