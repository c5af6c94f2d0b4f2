# Thin wrapper over CMake: `make run` and `make test` are the README's two commands.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEB_PACKAGES := libevent-dev libtomlplusplus-dev libcjson-dev libsystemd-dev libgtest-dev \
                pkg-config cmake g++ curl groff-base systemd dpkg-dev file
CONFIG_COPY := $(BUILD_DIR)/run/switchboard.toml

.PHONY: all deps build run test clean

all: build

# Installs the Debian packages the build needs, when any is missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing build dependencies:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "run as root: apt-get update && apt-get install -y$$missing" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq$$missing \
	    || { echo "could not install; run: apt-get update && apt-get install -y$$missing" >&2; exit 1; }; \
	fi

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Runs on a copy of the example config, so the tracked etc/switchboard.toml never changes.
run: build
	@mkdir -p $(BUILD_DIR)/run
	@[ -f $(CONFIG_COPY) ] || cp etc/switchboard.toml $(CONFIG_COPY)
	./$(BUILD_DIR)/switchboard -c $(CONFIG_COPY)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

clean:
	rm -rf $(BUILD_DIR)
