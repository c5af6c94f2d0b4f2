// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared by the admin API tests: a running switchboard on a config in a temp dir, and small
// readers of its answers.

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

namespace harness {

// A switchboard on `<configHead + proxy_settings><token><services>`; admin calls carry the
// token when one is set.
class AdminTest : public ::testing::Test {
  protected:
    // Ports from freePort() can be taken by another test's process before switchboard binds
    // them, and then that process answers /healthz; so a start counts only when this
    // switchboard logged that it bound both listeners, and is retried on fresh ports.
    void start(const std::string& services, const std::string& token = "") {
        token_ = token;
        for (int attempt = 0; attempt < 5; ++attempt) {
            std::string head = configHead(proxy_port, admin_port);
            head.insert(head.find("\n[admin]"), proxy_settings);
            if (!token.empty())
                head += "token = \"" + token + "\"\n";
            writeFile(path(), head + services);
            switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
            if (switchboard->started() && switchboard->waitForLog("started with") &&
                switchboard->running())
                return;
            last_log_ = switchboard->log();
            switchboard.reset();
            proxy_port = freePort();
            admin_port = freePort();
        }
        FAIL() << "switchboard did not start:\n" << last_log_;
    }

    HttpResponse admin(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       std::vector<std::pair<std::string, std::string>> headers = {}) const {
        if (!token_.empty())
            headers.push_back({"Authorization", "Bearer " + token_});
        return switchboard->admin(method, target, body, headers);
    }

    std::string path() const { return dir.file("switchboard.toml"); }
    std::string file() const { return readFile(path()); }

    TempDir dir;
    std::string proxy_settings;  // more [proxy] keys, one per line: "drain_timeout_ms = 500\n"
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
    std::string token_;
    std::string last_log_;
};

// The JSON text without the top-level member `key` (cJSON's compact form), to compare a dry
// run's answer with the real one.
inline std::string withoutMember(const std::string& json, const char* key) {
    cJSON* root = cJSON_Parse(json.c_str());
    if (!root)
        return "<invalid JSON: " + json + ">";
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    char* text = cJSON_PrintUnformatted(root);
    std::string result = text ? text : "";
    cJSON_free(text);
    cJSON_Delete(root);
    return result;
}

// The value of one sample in Prometheus text ("name{labels}" exactly as written), or nothing.
inline std::optional<double> metricValue(const std::string& text, const std::string& sample) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 &&
            line[sample.size()] == ' ')
            return std::stod(line.substr(sample.size() + 1));
    return std::nullopt;
}

}  // namespace harness
