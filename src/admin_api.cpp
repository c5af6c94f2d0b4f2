#include "switchboard/admin_api.h"

#include <event2/http.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/http_util.h"
#include "switchboard/json.h"
#include "switchboard/log.h"

namespace switchboard {

namespace {

// The request path split at '/', each segment percent-decoded. nullopt when a segment
// does not decode (a NUL byte or a bad escape).
std::optional<std::vector<std::string>> pathSegments(evhttp_request* request) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
    const char* raw = uri ? evhttp_uri_get_path(uri) : nullptr;
    std::string_view path = raw ? raw : "";
    std::vector<std::string> segments;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        auto slash = path.find('/');
        std::string encoded(path.substr(0, slash));
        std::size_t length = 0;
        char* decoded = evhttp_uridecode(encoded.c_str(), 0, &length);
        if (!decoded)
            return std::nullopt;
        std::string segment(decoded, length);
        free(decoded);
        if (segment.find('\0') != std::string::npos)
            return std::nullopt;
        segments.push_back(std::move(segment));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash);
    }
    return segments;
}

const char* stateName(const Upstream& upstream) {
    if (upstream.draining)
        return "draining";
    return upstream.isUsable(Clock::now()) ? "up" : "down";
}

JsonPtr serviceJson(const ServicePool& pool) {
    const auto& config = pool.config();
    auto upstreams = makeJsonArray();
    for (const auto& upstream : pool.upstreams()) {
        appendToArray(upstreams.get(), JsonObject()
                                           .add("address", upstream->name())
                                           .add("weight", upstream->weight())
                                           .add("state", stateName(*upstream))
                                           .add("in_flight", upstream->in_flight)
                                           .add("requests", upstream->requests)
                                           .release());
    }
    return JsonObject()
        .add("name", config.name)
        .add("route", config.route)
        .add("host", config.host)
        .add("strategy", config.strategy)
        .add("strip_prefix", config.strip_prefix)
        .add("upstreams", std::move(upstreams))
        .release();
}

void sendError(evhttp_request* request, int status, std::string_view message) {
    sendJson(request, status, jsonError(message));
}

void sendMethodNotAllowed(evhttp_request* request, const char* allow) {
    evhttp_add_header(evhttp_request_get_output_headers(request), "Allow", allow);
    sendError(request, 405, std::string("method not allowed; use ") + allow);
}

std::string upstreamCountText(const ServiceConfig& service) {
    auto count = service.upstreams.size();
    return std::to_string(count) + (count == 1 ? " upstream" : " upstreams");
}

// The parts of an add/remove call that both seed calls check the same way.
struct UpstreamCall {
    std::string service;
    std::string address;  // canonical
};

std::optional<UpstreamCall> parseUpstreamCall(evhttp_request* request,
                                              const std::vector<std::string>& segments) {
    if (segments.size() != 3) {
        sendError(request, 400, "expected /" + segments[0] + "/<service>/<address>");
        return std::nullopt;
    }
    UpstreamCall call{segments[1], segments[2]};
    if (auto problem = checkServiceName(call.service)) {
        sendError(request, 400, *problem);
        return std::nullopt;
    }
    if (auto problem = checkUpstreamAddress(call.address)) {
        sendError(request, 400, *problem);
        return std::nullopt;
    }
    return call;
}

JsonPtr stringArray(const std::vector<std::string>& items) {
    auto array = makeJsonArray();
    for (const auto& item : items)
        cJSON_AddItemToArray(array.get(), cJSON_CreateString(item.c_str()));
    return array;
}

void sendReloadOutcome(evhttp_request* request, const ReloadOutcome& outcome) {
    if (!outcome.ok) {
        std::string first = outcome.errors.empty() ? "reload failed" : outcome.errors.front();
        return sendJson(request, 400, JsonObject()
                                          .add("error", "invalid config file: " + first)
                                          .add("errors", stringArray(outcome.errors))
                                          .toString());
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
    sendJson(request, 200, JsonObject()
                               .add("status", "reloaded")
                               .add("services", services.release())
                               .add("upstreams", upstreams.release())
                               .toString());
}

} // namespace

void AdminApi::onRequest(evhttp_request* request, void* arg) {
    static_cast<AdminApi*>(arg)->handle(request);
}

void AdminApi::handle(evhttp_request* request) {
    auto segments = pathSegments(request);
    if (!segments)
        return sendError(request, 400, "malformed request path");
    const auto method = evhttp_request_get_command(request);

    if (segments->size() == 1 && (*segments)[0] == "healthz") {
        if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD)
            return sendMethodNotAllowed(request, "GET");
        return sendJson(request, 200, R"({"status":"ok"})");
    }

    if (segments->size() == 1 && (*segments)[0] == "reload") {
        if (method != EVHTTP_REQ_POST)
            return sendMethodNotAllowed(request, "POST");
        return sendReloadOutcome(request, control_.reload("POST /reload from " + peerAddress(request)));
    }

    const bool is_add = !segments->empty() && (*segments)[0] == "add_upstream";
    const bool is_remove = !segments->empty() && (*segments)[0] == "remove_upstream";
    if (!is_add && !is_remove)
        return sendError(request, 404, "no such admin endpoint");
    if (method != EVHTTP_REQ_POST)
        return sendMethodNotAllowed(request, "POST");
    auto call = parseUpstreamCall(request, *segments);
    if (!call)
        return;

    Config candidate = registry_.config();
    ServiceConfig* service = candidate.findService(call->service);
    std::string summary;
    int success_status = 200;
    if (is_add) {
        if (service && service->findUpstream(call->address)) {
            auto pool = registry_.find(call->service);
            return sendJson(request, 200, JsonObject(serviceJson(*pool)).toString());
        }
        if (!service) {
            service = candidate.addService(makeDefaultService(call->service));
        }
        service->upstreams.push_back({call->address, 1});
        summary = "service " + call->service + ": added " + call->address + " (" +
                  upstreamCountText(*service) + ")";
        success_status = 201;
    } else {
        if (!service)
            return sendError(request, 404, "unknown service '" + call->service + "'");
        auto& upstreams = service->upstreams;
        auto found = std::find_if(upstreams.begin(), upstreams.end(),
                                  [&](const UpstreamConfig& u) { return u.address == call->address; });
        if (found == upstreams.end())
            return sendError(request, 404, "service '" + call->service +
                                               "' has no upstream '" + call->address + "'");
        upstreams.erase(found);
        summary = "service " + call->service + ": removed " + call->address + " (" +
                  upstreamCountText(*service) + ")";
    }

    for (const auto& problem : checkCrossReferences(candidate))
        return sendError(request, 400, problem.message);
    Status committed = control_.commit(candidate, summary);
    if (!committed)
        return sendError(request, httpStatusFor(committed.error().kind), committed.error().message);
    auto pool = registry_.find(call->service);
    sendJson(request, success_status, JsonObject(serviceJson(*pool)).toString());
}

} // namespace switchboard
