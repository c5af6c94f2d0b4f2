// SPDX-License-Identifier: Apache-2.0
#include "harness/cluster_instance.h"

#include "harness/json_doc.h"

namespace harness {

ClusterInstance::ClusterInstance(ClusterOptions options) : options_(std::move(options)) {}

bool ClusterInstance::start() {
    process_.reset();
    // Retried on fresh ports: one from freePort() may be taken by another test meanwhile.
    for (int attempt = 0; attempt < 5; ++attempt) {
        int proxy_port = freePort();
        int admin_port = freePort();
        std::string endpoints;
        for (const auto& endpoint : options_.endpoints)
            endpoints += (endpoints.empty() ? "\"" : ", \"") + endpoint + "\"";
        std::string text = configHead(proxy_port, admin_port) + "\n[cluster]\netcd = [" +
                           endpoints + "]\nprefix = \"" + options_.prefix +
                           "\"\ntimeout_ms = " + std::to_string(options_.timeout_ms) +
                           "\ncache = \"" + (options_.cache ? cachePath() : "") + "\"\n" +
                           options_.services;
        writeFile(configPath(), text);
        process_ = std::make_unique<SwitchboardProcess>(configPath(), proxy_port, admin_port);
        if (process_->started() && process_->waitForLog("started with") && process_->running())
            return true;
        process_.reset();
    }
    return false;
}

std::string ClusterInstance::services() const {
    std::string config = process_->admin("GET", "/config").body;
    auto first = config.find("[services.");
    return first == std::string::npos ? std::string() : config.substr(first);
}

std::string ClusterInstance::revision() const {
    return JsonDoc(process_->admin("GET", "/cluster").body)["revision"].str();
}

bool ClusterInstance::connected() const {
    return JsonDoc(process_->admin("GET", "/cluster").body)["connected"].isTrue();
}

}  // namespace harness
