// SPDX-License-Identifier: Apache-2.0
#pragma once
// A switchboard in cluster mode (SPEC §12), for the tests that run several on one etcd.

#include <memory>
#include <string>
#include <vector>

#include "harness/switchboard_process.h"

namespace harness {

struct ClusterOptions {
    std::vector<std::string> endpoints;  // cluster.etcd
    std::string prefix = "/switchboard-test/";
    std::string services;   // [services...] tables of the file
    int timeout_ms = 1000;  // cluster.timeout_ms
    bool cache = true;      // cluster.cache in the instance's dir
};

// One instance: its own dir (config, log, cache) and ports; stopped on destruction.
class ClusterInstance {
  public:
    explicit ClusterInstance(ClusterOptions options);
    // Starts (again, on the same dir and file); false when it did not come up.
    bool start();
    void stop() { process_.reset(); }
    SwitchboardProcess& operator*() const { return *process_; }
    SwitchboardProcess* operator->() const { return process_.get(); }
    bool running() const { return process_ != nullptr; }

    std::string configPath() const { return dir_.file("switchboard.toml"); }
    std::string cachePath() const { return dir_.file("cluster-cache.json"); }
    // The [services] part of GET /config: what the instance serves, in canonical TOML.
    std::string services() const;
    // GET /cluster's "revision" ("" when there is none).
    std::string revision() const;
    bool connected() const;

  private:
    ClusterOptions options_;
    TempDir dir_;
    std::unique_ptr<SwitchboardProcess> process_;
};

}  // namespace harness
