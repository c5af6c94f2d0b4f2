// SPDX-License-Identifier: Apache-2.0
// The handlers of services and their upstreams (REST and seed calls), and the one path every
// change of a service takes: validate, preview or commit, journal, answer.
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "switchboard/admin/admin_api.h"
#include "switchboard/admin/admin_call.h"
#include "switchboard/admin/admin_json.h"
#include "switchboard/admin/service_change.h"
#include "switchboard/admin/unified_diff.h"
#include "switchboard/base/json.h"

namespace switchboard {

// One candidate change of one service, built by a handler for applyChange.
struct AdminApi::Change {
    std::string service;
    Config candidate;  // the whole config as it would be; equal to the running one for a no-op
    int status = 200;  // answered on success
    bool deletes_service = false;
    // Run once the change is applied (or found already made), never for a dry run.
    std::function<void()> on_applied = nullptr;
};

void AdminApi::getServices(AdminCall& call) {
    auto services = makeJsonArray();
    for (const auto& pool : registry_.services())
        appendToArray(services.get(), serviceStateJson(pool->config(), pool.get()));
    call.reply.header("ETag", configEtag(registry_.config()));
    call.reply.json(200, JsonObject().add("services", std::move(services)).release());
}

void AdminApi::getService(AdminCall& call) {
    const std::string& name = call.service();
    auto pool = registry_.find(name);
    if (!pool)
        return call.reply.error(404, "unknown service '" + name + "'");
    call.reply.header("ETag", serviceEtag(pool->config()));
    call.reply.json(200, serviceStateJson(pool->config(), pool.get()));
}

void AdminApi::putService(AdminCall& call) {
    const std::string& name = call.service();
    auto service = call.bodyAs([&](const cJSON* body) { return parseServiceJson(name, body); });
    if (!service)
        return;
    Change change{name, registry_.config()};
    if (ServiceConfig* existing = change.candidate.findService(name)) {
        *existing = std::move(*service);
        change.status = 200;
    } else {
        change.candidate.addService(std::move(*service));
        change.status = 201;
    }
    applyChange(call, std::move(change));
}

void AdminApi::deleteService(AdminCall& call) {
    const std::string& name = call.service();
    Change change{name, registry_.config()};
    auto& services = change.candidate.services;
    auto found = std::find_if(services.begin(), services.end(),
                              [&](const ServiceConfig& s) { return s.name == name; });
    if (found == services.end())
        return call.reply.error(404, "unknown service '" + name + "'");
    services.erase(found);
    change.deletes_service = true;
    applyChange(call, std::move(change));
}

void AdminApi::postUpstream(AdminCall& call) {
    const std::string& name = call.service();
    auto request = call.bodyAs(parseUpstreamJson);
    if (!request)
        return;
    Change change{name, registry_.config()};
    ServiceConfig* service = change.candidate.findService(name);
    if (!service)
        return call.reply.error(404, "unknown service '" + name + "'");
    auto& upstreams = service->upstreams;
    auto existing = std::find_if(upstreams.begin(), upstreams.end(), [&](const UpstreamConfig& u) {
        return u.address == request->address;
    });
    if (existing != upstreams.end()) {
        change.status = 200;
    } else {
        existing = upstreams.insert(upstreams.end(), UpstreamConfig{request->address});
        change.status = 201;
    }
    request->applyTo(*existing);  // an address already there keeps what the body leaves out
    applyChange(call, std::move(change));
}

// PATCH /services/<service>/upstreams/<address> (SPEC §11): weight and admin_state of one
// upstream.
void AdminApi::patchUpstream(AdminCall& call) {
    auto patch = call.bodyAs(parseUpstreamPatchJson);
    if (!patch)
        return;
    Change change{call.service(), registry_.config()};
    UpstreamConfig* upstream = findUpstreamOf(call, change);
    if (!upstream)
        return;
    patch->applyTo(*upstream);
    applyChange(call, std::move(change));
}

UpstreamConfig* AdminApi::findUpstreamOf(AdminCall& call, Change& change) {
    const std::string& name = call.service();
    const std::string& address = call.address();
    ServiceConfig* service = change.candidate.findService(name);
    if (!service) {
        call.reply.error(404, "unknown service '" + name + "'");
        return nullptr;
    }
    auto& upstreams = service->upstreams;
    auto found = std::find_if(upstreams.begin(), upstreams.end(),
                              [&](const UpstreamConfig& u) { return u.address == address; });
    if (found == upstreams.end()) {
        call.reply.error(404, "service '" + name + "' has no upstream '" + address + "'");
        return nullptr;
    }
    return &*found;
}

// DELETE /services/<service>/upstreams/<address>, and the seed call
// POST /remove_upstream/<service>/<address>. With ?drain=1 (SPEC §11) the upstream is set to
// drain now (202) and removed later, by drain_removals_, as a change of its own.
void AdminApi::deleteUpstream(AdminCall& call) {
    auto drain = booleanParameter(call.request, "drain");
    if (!drain)
        return call.reply.error(400, "drain must be 1 or 0", "drain");
    Change change{call.service(), registry_.config()};
    UpstreamConfig* upstream = findUpstreamOf(call, change);
    if (!upstream)
        return;
    if (!*drain) {
        auto& upstreams = change.candidate.findService(change.service)->upstreams;
        upstreams.erase(upstreams.begin() + (upstream - upstreams.data()));
        return applyChange(call, std::move(change));
    }
    upstream->admin_state = AdminState::Drain;
    change.status = 202;
    const auto timeout = std::chrono::milliseconds(registry_.config().proxy.drain_timeout_ms);
    DrainRemovals::Pending pending;
    pending.service = call.service();
    pending.address = call.address();
    pending.peer = call.peer;
    pending.call = call.text;
    pending.timeout = timeout;
    pending.deadline = Clock::now() + timeout;
    change.on_applied = [this, pending = std::move(pending)]() { drain_removals_.add(pending); };
    applyChange(call, std::move(change));
}

void AdminApi::removeDrained(const DrainRemovals::Pending& pending, DrainRemovals::Why why,
                             std::int64_t in_flight) {
    // DrainRemovals found both in the running config a moment ago, on this same loop.
    const ServiceConfig before = *registry_.config().findService(pending.service);
    ServiceConfig after = before;
    auto& upstreams = after.upstreams;
    upstreams.erase(std::find_if(upstreams.begin(), upstreams.end(), [&](const UpstreamConfig& u) {
        return u.address == pending.address;
    }));
    const std::string detail = why == DrainRemovals::Why::Idle
                                   ? "drained: nothing in flight"
                                   : "drain_timeout_ms " + std::to_string(pending.timeout.count()) +
                                         " passed with " + std::to_string(in_flight) + " in flight";
    // A refusal (the file changed on disk, a failed write) leaves the upstream in drain; the
    // journal and the log say so, and the operator may DELETE it again.
    commitAndRecord(pending.peer, pending.call, pending.service, &before, &after, 200, detail,
                    [](const Status&) {});
}

// POST /add_upstream/<service>/<address>, the seed call, kept exactly: it creates the service
// (route /<service>) when there is none.
void AdminApi::addUpstreamSeed(AdminCall& call) {
    const std::string& name = call.service();
    Change change{name, registry_.config()};
    ServiceConfig* service = change.candidate.findService(name);
    if (!service)
        service = change.candidate.addService(makeDefaultService(name));
    if (!service->findUpstream(call.address())) {
        service->upstreams.push_back({call.address(), 1});
        change.status = 201;
    }
    applyChange(call, std::move(change));
}

// A seed call's path with other than a service and an address after it.
void AdminApi::seedCallUsage(AdminCall& call) {
    call.reply.error(400, "expected /" + call.segments[0] + "/<service>/<address>");
}

void AdminApi::applyChange(AdminCall& call, Change change) {
    const Config& running = registry_.config();
    const bool changed = !(change.candidate == running);
    if (changed) {
        for (const auto& problem : checkCrossReferences(change.candidate))
            return call.reply.error(400, problem.message);
    }
    if (auto if_match = call.ifMatch()) {
        const ServiceConfig* current = running.findService(change.service);
        std::optional<std::string> etag;
        if (current)
            etag = serviceEtag(*current);
        if (!ifMatchHolds(*if_match, etag ? &*etag : nullptr)) {
            if (etag)
                call.reply.header("ETag", *etag);
            return call.reply.error(412, "precondition failed");
        }
    }

    // Copies: `running` is replaced by the commit.
    std::optional<ServiceConfig> before;
    if (const ServiceConfig* found = running.findService(change.service))
        before = *found;
    std::optional<ServiceConfig> after;
    if (const ServiceConfig* found = change.candidate.findService(change.service))
        after = *found;
    // What the call answers: the service as the change leaves it, with the run-time state of
    // its upstreams (`pool`); for a deletion, as it was; and the ETag of that configuration.
    auto reply =
        [&call, status = change.status](const ServiceConfig& shown, const ServicePool* pool,
                                        std::string diff = std::string(), bool with_diff = false) {
            JsonObject body(serviceStateJson(shown, pool));
            if (with_diff)
                body.add("diff", diff);
            call.reply.header("ETag", serviceEtag(shown));
            call.reply.json(status, body.toString());
        };
    auto pool = registry_.find(change.service);
    const ServiceConfig& shown = change.deletes_service ? *before : *after;

    if (!call.dry_run && !changed && change.on_applied)
        change.on_applied();  // already so (an upstream already in drain): what follows still does
    if (call.dry_run) {
        std::string diff;
        if (changed) {
            auto preview = control_.preview(change.candidate);
            if (!preview)
                return call.reply.error(preview.error());
            diff = unifiedDiff(preview->before, preview->after, diffFileName(preview->file));
        }
        return reply(shown, pool.get(), diff, /*with_diff=*/true);
    }
    if (!changed)
        return reply(shown, pool.get());

    // The answer of a deletion is made now, from the pool that goes.
    std::string deleted_state =
        change.deletes_service ? JsonObject(serviceStateJson(shown, pool.get())).toString() : "";
    const ServiceConfig* before_pointer = before ? &*before : nullptr;
    const ServiceConfig* after_pointer = after ? &*after : nullptr;
    // Copied before the call: the callback's capture moves `change` (the order in which a call's
    // arguments are made is unspecified).
    const std::string service = change.service;
    const int status = change.status;
    commitAndRecord(call.peer, call.text, service, before_pointer, after_pointer, status, "",
                    [this, call = call.shared_from_this(), change = std::move(change),
                     shown = shown, deleted_state = std::move(deleted_state)](Status committed) {
                        if (!committed)
                            return call->reply.error(committed.error());
                        if (change.on_applied)
                            change.on_applied();
                        call->reply.header("ETag", serviceEtag(shown));
                        if (change.deletes_service)
                            return call->reply.json(change.status, deleted_state);
                        // The new pool: its upstreams as they now run.
                        auto now_running = registry_.find(change.service);
                        call->reply.json(
                            change.status,
                            JsonObject(serviceStateJson(shown, now_running.get())).toString());
                    });
}

void AdminApi::commitAndRecord(const std::string& peer, const std::string& call_text,
                               const std::string& service, const ServiceConfig* before,
                               const ServiceConfig* after, int status, const std::string& detail,
                               ConfigControl::CommitDone done) {
    std::string summary = describeServiceChange(before, after);
    if (!detail.empty())
        summary += " (" + detail + ")";
    ChangeRecord record;
    record.peer = peer;
    record.call = call_text;
    record.service = service;
    record.before = serviceConfigText(before);
    record.after = serviceConfigText(after);
    control_.commit(service, after, summary, describeServiceChange(before, after, Tense::Asked),
                    [this, record = std::move(record), status, summary,
                     done = std::move(done)](Status committed) mutable {
                        record.status = committed ? status : httpStatusFor(committed.error().kind);
                        record.message =
                            committed ? summary : "refused: " + committed.error().describe();
                        journal_.record(std::move(record));
                        done(std::move(committed));
                    });
}

}  // namespace switchboard
