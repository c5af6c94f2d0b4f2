# SPDX-License-Identifier: Apache-2.0
# SWITCHBOARD_SANITIZE: build everything (library, binary, tests) with AddressSanitizer and
# UndefinedBehaviorSanitizer. -fno-sanitize-recover=all turns every UBSan finding into an
# abort, so a finding fails the test that triggered it instead of scrolling past in a log.
# Included before any target is defined: the flags apply to every target of the build.
option(SWITCHBOARD_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

if(SWITCHBOARD_SANITIZE)
  set(SWITCHBOARD_SANITIZER_FLAGS
    -fsanitize=address,undefined
    -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  add_compile_options(${SWITCHBOARD_SANITIZER_FLAGS})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's flow analysis sees the sanitizers' instrumentation and reports false
    # -Wmaybe-uninitialized (in std::regex's std::function, for one); the normal build keeps
    # the warning, so nothing is lost.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()

# SWITCHBOARD_TSAN: build everything with ThreadSanitizer, for the workers (SPEC §9): their
# shared snapshots and counters. It cannot be combined with ASan. Debian's libevent is not
# instrumented: TSan does not see its internal synchronisation, so tests/tsan.supp names the
# reports that come from inside it (never ones in switchboard's own code).
option(SWITCHBOARD_TSAN "Build with ThreadSanitizer" OFF)

if(SWITCHBOARD_TSAN)
  if(SWITCHBOARD_SANITIZE)
    message(FATAL_ERROR "SWITCHBOARD_TSAN and SWITCHBOARD_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # As for SWITCHBOARD_SANITIZE: false -Wmaybe-uninitialized under instrumentation.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=thread)
endif()
