// SPDX-License-Identifier: Apache-2.0
// The handlers of the server as a whole: health, reload, the running config, the change
// journal and metrics.
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/admin/admin_api.h"
#include "switchboard/admin/admin_call.h"
#include "switchboard/admin/metrics.h"
#include "switchboard/admin/unified_diff.h"
#include "switchboard/base/json.h"
#include "switchboard/config/config_file.h"
#include "switchboard/config/service_json.h"

namespace switchboard {

namespace {

JsonPtr stringArray(const std::vector<std::string>& items) {
    auto array = makeJsonArray();
    for (const auto& item : items)
        cJSON_AddItemToArray(array.get(), cJSON_CreateString(item.c_str()));
    return array;
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? "none" : text;
}

std::string reloadSummary(const ReloadOutcome& outcome) {
    if (!outcome.ok)
        return "reload refused: " +
               (outcome.errors.empty() ? "unknown error" : outcome.errors.front());
    const ConfigDiff& diff = outcome.diff;
    return "reloaded: services added: " + joined(diff.services_added) +
           "; removed: " + joined(diff.services_removed) +
           "; changed: " + joined(diff.services_changed) + "; upstreams +" +
           std::to_string(diff.upstreams_added) + " -" + std::to_string(diff.upstreams_removed) +
           " =" + std::to_string(diff.upstreams_kept);
}

// The answer to POST /reload: 200 with what changed, or 400 with every error. A dry run's
// is the same but for its status, which must not say "reloaded" when nothing was.
std::pair<int, JsonObject> reloadAnswer(const ReloadOutcome& outcome, bool dry_run) {
    if (!outcome.ok) {
        std::string first = outcome.errors.empty() ? "reload failed" : outcome.errors.front();
        JsonObject object;
        object.add("error", "invalid config file: " + first)
            .add("errors", stringArray(outcome.errors));
        return {400, std::move(object)};
    }
    const ConfigDiff& diff = outcome.diff;
    JsonObject upstreams;
    upstreams.add("added", static_cast<std::uint64_t>(diff.upstreams_added))
        .add("removed", static_cast<std::uint64_t>(diff.upstreams_removed))
        .add("kept", static_cast<std::uint64_t>(diff.upstreams_kept));
    JsonObject services;
    services.add("added", stringArray(diff.services_added))
        .add("removed", stringArray(diff.services_removed))
        .add("changed", stringArray(diff.services_changed))
        .add("kept", stringArray(diff.services_kept));
    JsonObject object;
    object.add("status", dry_run ? "dry run: nothing reloaded" : "reloaded")
        .add("services", services.release())
        .add("upstreams", upstreams.release());
    if (!outcome.warnings.empty())
        object.add("warnings", stringArray(outcome.warnings));
    return {200, std::move(object)};
}

}  // namespace

void AdminApi::getHealth(AdminCall& call) {
    call.reply.json(200, R"({"status":"ok"})");
}

void AdminApi::postReload(AdminCall& call) {
    if (call.dry_run) {
        ReloadOutcome outcome = control_.previewReload();
        auto [status, body] = reloadAnswer(outcome, /*dry_run=*/true);
        if (outcome.ok)
            body.add("diff", unifiedDiff(outcome.file.before, outcome.file.after,
                                         diffFileName(outcome.file.file)));
        return call.reply.json(status, body.toString());
    }
    ReloadOutcome outcome = control_.reload("POST /reload from " + call.peer);
    recordReload(call.text, call.peer, outcome);
    auto [status, body] = reloadAnswer(outcome, /*dry_run=*/false);
    call.reply.json(status, body.toString());
}

void AdminApi::recordReload(const std::string& call, const std::string& peer,
                            const ReloadOutcome& outcome) {
    ChangeRecord record;
    record.peer = peer;
    record.call = call;
    record.status = outcome.ok ? 200 : 400;
    record.message = reloadSummary(outcome);
    journal_.record(std::move(record));
}

void AdminApi::getConfig(AdminCall& call) {
    call.reply.body(200, "application/toml", renderConfig(registry_.config()));
}

void AdminApi::getChanges(AdminCall& call) {
    // ?limit=N: the newest N only; the status page asks for 20 every 2 s, not for all kept.
    std::size_t limit = SIZE_MAX;
    auto limits = queryValues(call.request, "limit");
    if (!limits || !limits->empty()) {
        const std::string text = limits ? limits->back() : "";
        auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (problem != std::errc() || end != text.data() + text.size() || limit == 0)
            return call.reply.error(400, "limit must be a positive integer", "limit");
    }
    auto changes = makeJsonArray();
    for (const auto& change : journal_.newestFirst(limit))
        appendToArray(changes.get(), change.toJsonValue());
    call.reply.json(200, JsonObject().add("changes", std::move(changes)).release());
}

void AdminApi::getMetrics(AdminCall& call) {
    auto cluster = control_.clusterStatus();
    call.reply.body(200, kMetricsContentType,
                    renderMetrics(registry_, stats_, Clock::now(), cluster ? &*cluster : nullptr));
}

void AdminApi::getCluster(AdminCall& call) {
    auto cluster = control_.clusterStatus();
    if (!cluster)
        return call.reply.json(200, JsonObject().add("mode", "standalone").toString());
    auto endpoints = makeJsonArray();
    for (const auto& endpoint : cluster->endpoints)
        appendToArray(endpoints.get(), JsonPtr(cJSON_CreateString(endpoint.c_str())));
    JsonObject answer;
    answer.add("mode", "etcd")
        .add("endpoints", std::move(endpoints))
        .add("prefix", cluster->prefix)
        .add("endpoint", cluster->endpoint)
        .add("connected", cluster->connected)
        .add("revision", std::to_string(cluster->revision))
        .add("changes_applied", cluster->changes_applied);
    if (cluster->last_error)
        answer.add("last_error", *cluster->last_error);
    else
        cJSON_AddNullToObject(answer.get(), "last_error");
    call.reply.json(200, answer.toString());
}

void AdminApi::recordClusterChange(const std::string& service, const ServiceConfig* before,
                                   const ServiceConfig* after, std::int64_t revision, int status,
                                   const std::string& message) {
    ChangeRecord record;
    record.peer = "cluster";
    record.call = "etcd";
    record.service = service;
    record.before = serviceConfigText(before);
    record.after = serviceConfigText(after);
    record.status = status;
    record.message = message;
    record.revision = std::to_string(revision);
    journal_.record(std::move(record));
}

}  // namespace switchboard
