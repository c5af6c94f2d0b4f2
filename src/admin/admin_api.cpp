// The admin port: routing, the token, dry runs, the change journal and the replies. The JSON
// of services and request bodies is in admin_json.cpp, metrics in metrics.cpp.
#include "switchboard/admin/admin_api.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/admin/admin_json.h"
#include "switchboard/admin/admin_token.h"
#include "switchboard/config/config_file.h"
#include "switchboard/admin/evhttp_reply.h"
#include "switchboard/http/status_text.h"
#include "switchboard/base/json.h"
#include "switchboard/base/log.h"
#include "switchboard/admin/metrics.h"
#include "switchboard/admin/service_change.h"
#include "switchboard/admin/unified_diff.h"

namespace switchboard {

namespace {

std::optional<std::string> percentDecode(std::string_view encoded) {
    std::string copy(encoded);
    std::size_t length = 0;
    char* decoded = evhttp_uridecode(copy.c_str(), 0, &length);
    if (!decoded)
        return std::nullopt;
    std::string text(decoded, length);
    free(decoded);
    if (text.find('\0') != std::string::npos)
        return std::nullopt;
    return text;
}

// The request path split at '/', each segment percent-decoded; empty segments are skipped.
// nullopt when a segment does not decode (a NUL byte or a bad escape).
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
        auto segment = percentDecode(path.substr(0, slash));
        if (!segment)
            return std::nullopt;
        segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash);
    }
    return segments;
}

// `?dry_run=1` (also `true`, `yes`, `on`, or a bare `dry_run`); `0`/`false`/`no`/`off` is a
// real call. Other parameters are ignored. nullopt for a value that is neither.
std::optional<bool> dryRunParameter(evhttp_request* request) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
    const char* raw = uri ? evhttp_uri_get_query(uri) : nullptr;
    std::string_view query = raw ? raw : "";
    bool dry_run = false;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        auto equals = pair.find('=');
        auto key = percentDecode(pair.substr(0, equals));
        if (!key || *key != "dry_run")
            continue;
        auto value = equals == std::string_view::npos ? std::optional<std::string>("1")
                                                      : percentDecode(pair.substr(equals + 1));
        if (!value)
            return std::nullopt;
        if (*value == "1" || *value == "true" || *value == "yes" || *value == "on")
            dry_run = true;
        else if (*value == "0" || *value == "false" || *value == "no" || *value == "off")
            dry_run = false;
        else
            return std::nullopt;
    }
    return dry_run;
}

const char* methodName(evhttp_cmd_type method) {
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "?";
}

// Sends exactly one response per request: the handlers answer through it, and a request
// that a handler left unanswered (a bug, or an exception) gets a 500 when it goes.
class Reply {
  public:
    explicit Reply(evhttp_request* request) : request_(request) {}
    ~Reply() {
        if (!sent_)
            error(500, "internal error: the admin call was not answered");
    }
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;

    void header(const char* name, const std::string& value) {
        evhttp_add_header(evhttp_request_get_output_headers(request_), name, value.c_str());
    }
    void body(int status, std::string_view content_type, std::string_view text) {
        if (sent_)
            return;
        sent_ = true;
        if (evhttp_request_get_command(request_) == EVHTTP_REQ_HEAD) {
            // evhttp would write the body after a HEAD answer (and no Content-Length): the
            // headers of the GET answer only.
            evkeyvalq* headers = evhttp_request_get_output_headers(request_);
            evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
            evhttp_add_header(headers, "Content-Length", std::to_string(text.size()).c_str());
            evhttp_send_reply(request_, status, reasonPhrase(status), nullptr);
            return;
        }
        sendBody(request_, status, content_type, text);
    }
    void json(int status, std::string_view text) { body(status, "application/json", text); }
    void json(int status, JsonPtr value) { json(status, JsonObject(std::move(value)).toString()); }
    void error(int status, std::string_view message, std::string_view field = "") {
        JsonObject object;
        object.add("error", message);
        if (!field.empty())
            object.add("field", field);
        json(status, object.toString());
    }

  private:
    evhttp_request* request_;
    bool sent_ = false;
};

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

// The answer to POST /reload: 200 with what changed, or 400 with every error.
std::pair<int, JsonObject> reloadAnswer(const ReloadOutcome& outcome) {
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
    object.add("status", "reloaded")
        .add("services", services.release())
        .add("upstreams", upstreams.release());
    return {200, std::move(object)};
}

// The name of the config file in a diff's headers: its path without a leading '/', as
// `git diff` names files, so `patch -p1` applies it from / (or the working directory).
std::string diffName(const std::string& path) {
    std::string_view name = path;
    while (!name.empty() && name.front() == '/')
        name.remove_prefix(1);
    return name.empty() ? "switchboard.toml" : std::string(name);
}

}  // namespace

// One admin request while it is handled.
struct AdminApi::Call {
    explicit Call(evhttp_request* r) : request(r), reply(r) {}

    evhttp_request* request;
    Reply reply;
    evhttp_cmd_type method = EVHTTP_REQ_GET;
    std::vector<std::string> segments;
    std::string peer;
    std::string text;  // "POST /services/apiA/upstreams", for the journal
    bool dry_run = false;

    bool isGet() const { return method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD; }

    std::string body() const {
        evbuffer* input = evhttp_request_get_input_buffer(request);
        std::size_t length = evbuffer_get_length(input);
        const auto* bytes = reinterpret_cast<const char*>(evbuffer_pullup(input, -1));
        return bytes ? std::string(bytes, length) : std::string();
    }

    // The body as a JSON object; answers 400 itself when it is not one.
    std::optional<JsonPtr> jsonBody() {
        auto parsed = parseJsonObject(body());
        if (!parsed) {
            reply.error(400, parsed.error, parsed.field);
            return std::nullopt;
        }
        return std::move(*parsed.value);
    }
};

// One candidate change of one service, built by a handler for applyChange.
struct AdminApi::Change {
    std::string service;
    Config candidate;  // the whole config as it would be; equal to the running one for a no-op
    int status = 200;  // answered on success
    bool deletes_service = false;
};

void AdminApi::onRequest(evhttp_request* request, void* arg) {
    // No exception may cross into libevent. The Reply inside handle() answers 500 as it
    // unwinds.
    try {
        static_cast<AdminApi*>(arg)->handle(request);
    } catch (const std::exception& error) {
        logError(std::string("admin call failed: ") + error.what());
    } catch (...) {
        logError("admin call failed");
    }
}

void AdminApi::handle(evhttp_request* request) {
    Call call(request);
    call.method = evhttp_request_get_command(request);
    call.peer = peerAddress(request);
    const char* uri = evhttp_request_get_uri(request);
    call.text = std::string(methodName(call.method)) + " " + (uri ? uri : "");

    auto segments = pathSegments(request);
    const bool is_healthz = segments && segments->size() == 1 && (*segments)[0] == "healthz";
    const std::string& token = registry_.config().admin.token;
    if (!is_healthz && !token.empty()) {
        auto given = bearerToken(
            evhttp_find_header(evhttp_request_get_input_headers(request), "Authorization"));
        // Compared even when the header is missing, so that both cases take the same time.
        bool matches = tokenMatches(token, given.value_or(std::string_view()));
        if (!given || !matches) {
            call.reply.header("WWW-Authenticate", "Bearer realm=\"switchboard\"");
            return call.reply.error(
                401, given ? "wrong token" : "this call needs \"Authorization: Bearer <token>\"");
        }
    }
    if (!segments)
        return call.reply.error(400, "malformed request path");
    call.segments = std::move(*segments);
    route(call);
}

namespace {

// True when the call's method is one of `allowed` (GET allowing HEAD too); otherwise answers
// 405 with `Allow` and returns false.
bool methodAllowed(evhttp_cmd_type method, Reply& reply,
                   std::initializer_list<evhttp_cmd_type> allowed) {
    std::string allow;
    for (auto candidate : allowed) {
        if (method == candidate || (method == EVHTTP_REQ_HEAD && candidate == EVHTTP_REQ_GET))
            return true;
        allow += (allow.empty() ? "" : ", ") + std::string(methodName(candidate));
    }
    reply.header("Allow", allow);
    reply.error(405, "method not allowed; use " + allow);
    return false;
}

}  // namespace

void AdminApi::route(Call& call) {
    const auto& s = call.segments;
    auto allowed = [&](std::initializer_list<evhttp_cmd_type> methods) {
        return methodAllowed(call.method, call.reply, methods);
    };
    const bool mutating = call.method == EVHTTP_REQ_POST || call.method == EVHTTP_REQ_PUT ||
                          call.method == EVHTTP_REQ_DELETE;
    if (mutating) {
        auto dry_run = dryRunParameter(call.request);
        if (!dry_run)
            return call.reply.error(400, "dry_run must be 1 or 0", "dry_run");
        call.dry_run = *dry_run;
    }

    if (s.size() == 1 && s[0] == "healthz") {
        if (allowed({EVHTTP_REQ_GET}))
            call.reply.json(200, R"({"status":"ok"})");
        return;
    }
    if (s.size() == 1 && s[0] == "services") {
        if (allowed({EVHTTP_REQ_GET}))
            getServices(call);
        return;
    }
    if (s.size() == 2 && s[0] == "services") {
        if (!allowed({EVHTTP_REQ_GET, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE}))
            return;
        if (auto problem = checkServiceName(s[1]))
            return call.reply.error(400, *problem);
        if (call.isGet())
            return getService(call, s[1]);
        if (call.method == EVHTTP_REQ_PUT)
            return putService(call, s[1]);
        return deleteService(call, s[1]);
    }
    if (s.size() == 3 && s[0] == "services" && s[2] == "upstreams") {
        if (!allowed({EVHTTP_REQ_POST}))
            return;
        if (auto problem = checkServiceName(s[1]))
            return call.reply.error(400, *problem);
        return postUpstream(call, s[1]);
    }
    if (s.size() == 4 && s[0] == "services" && s[2] == "upstreams") {
        if (!allowed({EVHTTP_REQ_DELETE}))
            return;
        if (auto problem = checkServiceName(s[1]))
            return call.reply.error(400, *problem);
        return deleteUpstream(call, s[1], s[3]);
    }
    if (!s.empty() && (s[0] == "add_upstream" || s[0] == "remove_upstream")) {
        if (allowed({EVHTTP_REQ_POST}))
            seedCall(call, s[0] == "add_upstream");
        return;
    }
    if (s.size() == 1 && s[0] == "reload") {
        if (allowed({EVHTTP_REQ_POST}))
            postReload(call);
        return;
    }
    if (s.size() == 1 && s[0] == "config") {
        if (allowed({EVHTTP_REQ_GET}))
            getConfig(call);
        return;
    }
    if (s.size() == 1 && s[0] == "changes") {
        if (allowed({EVHTTP_REQ_GET}))
            getChanges(call);
        return;
    }
    if (s.size() == 1 && s[0] == "metrics") {
        if (allowed({EVHTTP_REQ_GET}))
            getMetrics(call);
        return;
    }
    call.reply.error(404, "no such admin endpoint");
}

void AdminApi::getServices(Call& call) {
    auto services = makeJsonArray();
    for (const auto& pool : registry_.services())
        appendToArray(services.get(), serviceStateJson(pool->config(), pool.get()));
    call.reply.json(200, JsonObject().add("services", std::move(services)).release());
}

void AdminApi::getService(Call& call, const std::string& name) {
    auto pool = registry_.find(name);
    if (!pool)
        return call.reply.error(404, "unknown service '" + name + "'");
    call.reply.json(200, serviceStateJson(pool->config(), pool.get()));
}

void AdminApi::putService(Call& call, const std::string& name) {
    auto body = call.jsonBody();
    if (!body)
        return;
    auto service = parseServiceJson(name, body->get());
    if (!service)
        return call.reply.error(400, service.error, service.field);
    Change change{name, registry_.config()};
    if (ServiceConfig* existing = change.candidate.findService(name)) {
        *existing = std::move(*service.value);
        change.status = 200;
    } else {
        change.candidate.addService(std::move(*service.value));
        change.status = 201;
    }
    applyChange(call, std::move(change));
}

void AdminApi::deleteService(Call& call, const std::string& name) {
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

void AdminApi::postUpstream(Call& call, const std::string& name) {
    auto body = call.jsonBody();
    if (!body)
        return;
    auto request = parseUpstreamJson(body->get());
    if (!request)
        return call.reply.error(400, request.error, request.field);
    Change change{name, registry_.config()};
    ServiceConfig* service = change.candidate.findService(name);
    if (!service)
        return call.reply.error(404, "unknown service '" + name + "'");
    auto& upstreams = service->upstreams;
    auto existing = std::find_if(upstreams.begin(), upstreams.end(), [&](const UpstreamConfig& u) {
        return u.address == request.value->address;
    });
    if (existing != upstreams.end()) {
        if (request.value->weight)
            existing->weight = *request.value->weight;
        change.status = 200;
    } else {
        service->upstreams.push_back({request.value->address, request.value->weight.value_or(1)});
        change.status = 201;
    }
    applyChange(call, std::move(change));
}

void AdminApi::deleteUpstream(Call& call, const std::string& name, std::string address) {
    if (auto problem = checkUpstreamAddress(address))
        return call.reply.error(400, *problem);
    Change change{name, registry_.config()};
    ServiceConfig* service = change.candidate.findService(name);
    if (!service)
        return call.reply.error(404, "unknown service '" + name + "'");
    auto& upstreams = service->upstreams;
    auto found = std::find_if(upstreams.begin(), upstreams.end(),
                              [&](const UpstreamConfig& u) { return u.address == address; });
    if (found == upstreams.end())
        return call.reply.error(404, "service '" + name + "' has no upstream '" + address + "'");
    upstreams.erase(found);
    applyChange(call, std::move(change));
}

// POST /add_upstream/<service>/<address>, POST /remove_upstream/<service>/<address>: the
// seed calls, kept exactly (add creates the service with route /<service>).
void AdminApi::seedCall(Call& call, bool add) {
    const auto& s = call.segments;
    if (s.size() != 3)
        return call.reply.error(400, "expected /" + s[0] + "/<service>/<address>");
    const std::string& name = s[1];
    std::string address = s[2];
    if (auto problem = checkServiceName(name))
        return call.reply.error(400, *problem);
    if (auto problem = checkUpstreamAddress(address))
        return call.reply.error(400, *problem);

    Change change{name, registry_.config()};
    ServiceConfig* service = change.candidate.findService(name);
    if (add) {
        if (!service)
            service = change.candidate.addService(makeDefaultService(name));
        if (!service->findUpstream(address)) {
            service->upstreams.push_back({address, 1});
            change.status = 201;
        }
        return applyChange(call, std::move(change));
    }
    deleteUpstream(call, name, std::move(address));  // the REST call's twin
}

void AdminApi::applyChange(Call& call, Change change) {
    const Config& running = registry_.config();
    const bool changed = !(change.candidate == running);
    if (changed) {
        for (const auto& problem : checkCrossReferences(change.candidate))
            return call.reply.error(400, problem.message);
    }

    // Copies: `running` is replaced by the commit.
    std::optional<ServiceConfig> before;
    if (const ServiceConfig* found = running.findService(change.service))
        before = *found;
    std::optional<ServiceConfig> after;
    if (const ServiceConfig* found = change.candidate.findService(change.service))
        after = *found;
    // The running pool, for the upstreams' run-time state (the shared_ptr keeps it alive
    // through the commit).
    auto pool = registry_.find(change.service);
    // What the call answers: the service as the change leaves it; for a deletion, as it was.
    auto answer = [&]() {
        const ServiceConfig& shown = change.deletes_service ? *before : *after;
        return serviceStateJson(shown, pool.get());
    };

    if (call.dry_run) {
        std::string diff;
        if (changed) {
            auto preview = control_.preview(change.candidate);
            if (!preview)
                return call.reply.error(httpStatusFor(preview.error().kind),
                                        preview.error().message);
            diff = unifiedDiff(preview->before, preview->after, diffName(preview->file));
        }
        JsonObject body(answer());
        body.add("diff", diff);
        return call.reply.json(change.status, body.toString());
    }
    if (!changed)
        return call.reply.json(change.status, answer());

    const std::string summary =
        describeServiceChange(before ? &*before : nullptr, after ? &*after : nullptr);
    JsonPtr deleted_state = change.deletes_service ? answer() : nullptr;
    Status committed = control_.commit(change.candidate, summary);

    ChangeRecord record;
    record.peer = call.peer;
    record.call = call.text;
    record.service = change.service;
    record.before = serviceConfigText(before ? &*before : nullptr);
    record.after = serviceConfigText(after ? &*after : nullptr);
    record.status = committed ? change.status : httpStatusFor(committed.error().kind);
    record.message = committed ? summary : "refused: " + committed.error().message;
    journal_.record(std::move(record));

    if (!committed)
        return call.reply.error(httpStatusFor(committed.error().kind), committed.error().message);
    if (change.deletes_service)
        return call.reply.json(change.status, std::move(deleted_state));
    pool = registry_.find(change.service);
    call.reply.json(change.status, serviceStateJson(pool->config(), pool.get()));
}

void AdminApi::postReload(Call& call) {
    if (call.dry_run) {
        ReloadOutcome outcome = control_.previewReload();
        auto [status, body] = reloadAnswer(outcome);
        if (outcome.ok)
            body.add("diff", unifiedDiff(outcome.file.before, outcome.file.after,
                                         diffName(outcome.file.file)));
        return call.reply.json(status, body.toString());
    }
    ReloadOutcome outcome = control_.reload("POST /reload from " + call.peer);
    recordReload(call.text, call.peer, outcome);
    auto [status, body] = reloadAnswer(outcome);
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

void AdminApi::getConfig(Call& call) {
    call.reply.body(200, "application/toml", renderConfig(registry_.config()));
}

void AdminApi::getChanges(Call& call) {
    auto changes = makeJsonArray();
    for (const auto& change : journal_.newestFirst())
        appendToArray(changes.get(), change.toJsonValue());
    call.reply.json(200, JsonObject().add("changes", std::move(changes)).release());
}

void AdminApi::getMetrics(Call& call) {
    call.reply.body(200, kMetricsContentType, renderMetrics(registry_, stats_));
}

}  // namespace switchboard
