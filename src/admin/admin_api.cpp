// SPDX-License-Identifier: Apache-2.0
// The admin port's front: the token, the path, dry_run, then the route table (admin_routes.cpp)
// picks the handler. The handlers are grouped by resource in admin_services.cpp and
// admin_status.cpp; the JSON of services and request bodies is in admin_json.cpp.
#include "switchboard/admin/admin_api.h"

#include <event2/http.h>

#include <string>
#include <utility>
#include <variant>

#include "switchboard/admin/admin_call.h"
#include "switchboard/admin/admin_token.h"

namespace switchboard {

AdminApi::AdminApi(event_base* base, Registry& registry, ConfigControl& control,
                   const ServerStats& stats)
    : registry_(registry), control_(control), stats_(stats),
      drain_removals_(base, registry,
                      [this](const DrainRemovals::Pending& pending, DrainRemovals::Why why,
                             std::int64_t in_flight) { removeDrained(pending, why, in_flight); }) {}

void AdminApi::handleRequest(evhttp_request* request) {
    // An exception thrown below unwinds through `call`, whose reply answers 500 (unless a
    // change in flight holds it: then the change answers).
    auto shared_call = std::make_shared<AdminCall>(request);
    AdminCall& call = *shared_call;

    auto segments = pathSegments(request);
    // The health check, and the status page (SPEC §11), which holds no data: its script asks
    // for the token and sends it with the API calls it makes.
    const bool is_public =
        segments && (segments->empty() || (segments->size() == 1 && (*segments)[0] == "healthz"));
    const std::string& token = registry_.config().admin.token;
    if (!is_public && !token.empty()) {
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

    // Before routing, so that a bad dry_run is 400 even on an unknown path.
    if (call.isMutating()) {
        auto dry_run = dryRunParameter(request);
        if (!dry_run)
            return call.reply.error(400, "dry_run must be 1 or 0", "dry_run");
        call.dry_run = *dry_run;
    }

    auto found = findRoute(routes(), call.method, call.segments);
    if (auto* refusal = std::get_if<RouteRefusal>(&found)) {
        if (!refusal->allow.empty())
            call.reply.header("Allow", refusal->allow);
        return call.reply.error(refusal->status, refusal->error);
    }
    auto& match = std::get<RouteMatch<Handler>>(found);
    call.parameters = std::move(match.parameters);
    (this->*(*match.handler))(call);
}

}  // namespace switchboard
