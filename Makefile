# SPDX-License-Identifier: Apache-2.0
# Thin wrapper over CMake: `make run` and `make test` are the README's two commands.
#
#   make test     what CI runs: `format-check`, `check`, `release-build`, `asan`, `tsan`,
#                 then `fuzz-smoke`
#   make format   rewrites every C++ source in the repo's style (.clang-format)
#   make format-check  fails, naming the files, when a C++ source is not formatted
#   make check    the normal build and its whole ctest suite (the fast developer loop); the
#                 integration tests run twice, the second time as workers2.* (label workers2)
#                 with `workers = 2` in every test config (SWITCHBOARD_TEST_WORKERS=2)
#   make asan     the whole suite again, built with ASan+UBSan in build-asan
#                 (packaging tests left out: they test files, not code; workers2.* too:
#                 check runs them, and tsan runs every integration test with 4 workers)
#   make tsan     unit and integration tests built with ThreadSanitizer in build-tsan, the
#                 integration tests with `workers = 4` (SWITCHBOARD_TEST_WORKERS=4); a TSan
#                 report fails the test whose switchboard printed it
#   make release-build  the switchboard binary alone, in build-release, configured as a
#                 packager would: -DCMAKE_BUILD_TYPE=Release and CMake's defaults, so
#                 SWITCHBOARD_WERROR off (warnings printed, not fatal: GCC 12 has a false
#                 -Wrestrict inside libstdc++ at -O3); a Release build that fails is seen
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (default 60) each, clang build in
#                 build-fuzz; fuzz-smoke is the same for FUZZ_SMOKE_SECONDS (default 10)
#
# Warnings are errors in the builds of check, asan, tsan and fuzz (-DSWITCHBOARD_WERROR=ON);
# CMake's own default is off, so that a packager's plain build never fails on one.
BUILD_DIR ?= build
RELEASE_BUILD_DIR ?= build-release
ASAN_BUILD_DIR ?= build-asan
TSAN_BUILD_DIR ?= build-tsan
FUZZ_BUILD_DIR ?= build-fuzz
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
# chromium: the status page tests drive a real headless browser (SPEC §11); etcd-server and
# etcd-client: the cluster tests start a real etcd and change it with etcdctl (SPEC §12).
DEB_PACKAGES := libevent-dev libtomlplusplus-dev libcjson-dev libsystemd-dev libssl-dev openssl libgtest-dev \
                pkg-config cmake g++ curl groff-base systemd dpkg-dev file clang-format \
                lintian chromium etcd-server etcd-client
# The fuzz build's compiler and libFuzzer runtime.
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev
CONFIG_COPY := $(BUILD_DIR)/run/switchboard.toml
# Every C++ source and header of the project (clang-format's input).
CXX_SOURCES = $(shell find src include tests bench -name '*.cpp' -o -name '*.h' 2>/dev/null | sort)
# Sanitizer findings fail the run: ASan and LSan stop at the first report, UBSan is built
# with -fno-sanitize-recover=all. The integration tests' switchboard processes inherit these.
# A small quarantine (freed memory ASan holds back to catch use-after-free; 256 MiB by
# default) keeps the RSS-bound tests meaningful: every body byte streams through freed chunks.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:quarantine_size_mb=8 \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# TSan reports every race it sees and goes on (halt_on_error=0: one run shows them all; the
# process still exits non-zero and the harness fails the test on the report). tests/tsan.supp
# holds reports from inside libevent, which Debian does not build with TSan.
TSAN_ENV := TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$(CURDIR)/tests/tsan.supp \
            SWITCHBOARD_TEST_WORKERS=4
# -O1: sanitizer and fuzz builds keep assert() and compile faster; -g1 (line tables only) is
# all a sanitizer report needs, and compiles a fifth faster than -g.
CHECKED_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
                 -DSWITCHBOARD_WERROR=ON

.PHONY: all deps deps-fuzz build run test check release-build asan tsan fuzz fuzz-smoke fuzz-build format format-check clean

all: build

# Installs the Debian packages the build needs, when any is missing.
deps:
	@$(call install_missing,$(DEB_PACKAGES))

deps-fuzz:
	@$(call install_missing,$(FUZZ_DEB_PACKAGES))

define install_missing
	missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing build dependencies:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "run as root: apt-get update && apt-get install -y$$missing" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq$$missing \
	    || { echo "could not install; run: apt-get update && apt-get install -y$$missing" >&2; exit 1; }; \
	fi
endef

# werror_on DIR: reconfigures DIR with -DSWITCHBOARD_WERROR=ON unless its cache has it.
define werror_on
	grep -q '^SWITCHBOARD_WERROR:BOOL=ON$$' $(1)/CMakeCache.txt || \
	  cmake -S . -B $(1) -DSWITCHBOARD_WERROR=ON >/dev/null
endef

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_WERROR=ON

# A build directory configured before SWITCHBOARD_WERROR defaulted to off, or by hand, is
# switched to -Werror too: make's builds keep warnings as errors.
build: deps $(BUILD_DIR)/CMakeCache.txt
	@$(call werror_on,$(BUILD_DIR))
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Runs on a copy of the example config, so the tracked etc/switchboard.toml never changes.
# Builds only the binary it runs: the tests are make check's (and make test's).
run: deps $(BUILD_DIR)/CMakeCache.txt
	@$(call werror_on,$(BUILD_DIR))
	cmake --build $(BUILD_DIR) -j $(JOBS) --target switchboard
	@mkdir -p $(BUILD_DIR)/run
	@[ -f $(CONFIG_COPY) ] || cp etc/switchboard.toml $(CONFIG_COPY)
	./$(BUILD_DIR)/switchboard -c $(CONFIG_COPY)

test: format-check check release-build asan tsan fuzz-smoke

format: deps
	clang-format -i $(CXX_SOURCES)

# --dry-run -Werror: prints each difference as an error and fails, changing nothing.
format-check: deps
	@clang-format --dry-run -Werror $(CXX_SOURCES) && echo "format-check: $(words $(CXX_SOURCES)) files formatted"

check: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

# A packager's build (README "Install as a service"), binary only: configured as
# `cmake -S . -B b -DCMAKE_BUILD_TYPE=Release` is, warnings printed but not fatal. Configured
# every time (a second or two), so that a directory made otherwise, or before
# SWITCHBOARD_WERROR defaulted to off, is a Release build with CMake's defaults again.
release-build: deps
	cmake -S . -B $(RELEASE_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DSWITCHBOARD_WERROR=OFF >/dev/null
	cmake --build $(RELEASE_BUILD_DIR) -j $(JOBS) --target switchboard

$(ASAN_BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD_DIR) $(CHECKED_FLAGS) -DSWITCHBOARD_SANITIZE=ON

# The integration tests start $(ASAN_BUILD_DIR)/switchboard, the sanitized binary; the
# harness fails a test whose switchboard process printed a sanitizer report.
asan: deps $(ASAN_BUILD_DIR)/CMakeCache.txt
	@$(call werror_on,$(ASAN_BUILD_DIR))
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) --timeout 600 \
	  --exclude-regex '^(packaging|workers2)\.'

$(TSAN_BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(TSAN_BUILD_DIR) $(CHECKED_FLAGS) -DSWITCHBOARD_TSAN=ON

# workers2.* are left out: every integration test runs here with 4 workers already.
tsan: deps $(TSAN_BUILD_DIR)/CMakeCache.txt
	@$(call werror_on,$(TSAN_BUILD_DIR))
	cmake --build $(TSAN_BUILD_DIR) -j $(JOBS)
	cd $(TSAN_BUILD_DIR) && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS) --timeout 600 \
	  --exclude-regex '^(packaging|workers2)\.'

$(FUZZ_BUILD_DIR)/CMakeCache.txt: | deps deps-fuzz
	cmake -S . -B $(FUZZ_BUILD_DIR) $(CHECKED_FLAGS) -DCMAKE_CXX_COMPILER=clang++ \
	  -DSWITCHBOARD_FUZZ=ON -DSWITCHBOARD_SANITIZE=ON -DSWITCHBOARD_TESTS=OFF

fuzz-build: deps deps-fuzz $(FUZZ_BUILD_DIR)/CMakeCache.txt
	@$(call werror_on,$(FUZZ_BUILD_DIR))
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	$(SANITIZER_ENV) tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	$(SANITIZER_ENV) tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)
