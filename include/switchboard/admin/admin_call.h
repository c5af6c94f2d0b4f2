// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <event2/http.h>

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/admin/route_table.h"
#include "switchboard/base/json.h"
#include "switchboard/base/result.h"

namespace switchboard {

// Sends exactly one response per request: the handlers answer through it, and a request
// that a handler left unanswered (a bug, or an exception) gets a 500 when it goes.
class AdminReply {
  public:
    explicit AdminReply(evhttp_request* request) : request_(request) {}
    ~AdminReply();
    AdminReply(const AdminReply&) = delete;
    AdminReply& operator=(const AdminReply&) = delete;

    void header(const char* name, const std::string& value);
    // Only the first answer is sent; a HEAD request gets its headers without the body.
    void body(int status, std::string_view content_type, std::string_view text);
    void json(int status, std::string_view text) { body(status, "application/json", text); }
    void json(int status, JsonPtr value) { json(status, JsonObject(std::move(value)).toString()); }
    // {"error": message}, with "field" when one is named.
    void error(int status, std::string_view message, std::string_view field = "");
    // An Error with the status of its kind: {"error": message}, with "reason" when it has one.
    void error(const Error& error);

  private:
    evhttp_request* request_;
    bool sent_ = false;
};

// One admin request while it is handled. Held by a shared_ptr, so that a change whose save
// completes later (ConfigControl::commit) keeps it, and answers, after the handler returned.
struct AdminCall : std::enable_shared_from_this<AdminCall> {
    explicit AdminCall(evhttp_request* r);

    evhttp_request* request;
    AdminReply reply;
    evhttp_cmd_type method;
    std::string peer;
    std::string text;  // "POST /services/apiA/upstreams", for the journal
    std::vector<std::string> segments;
    RouteParameters parameters;  // set, and checked, by the route table
    bool dry_run = false;

    bool isMutating() const {
        return method == EVHTTP_REQ_POST || method == EVHTTP_REQ_PUT ||
               method == EVHTTP_REQ_DELETE || method == EVHTTP_REQ_PATCH;
    }
    // The request's If-Match header, when it has one.
    std::optional<std::string_view> ifMatch() const;
    // The parameters of the route that took the call; only for a route that has them.
    const std::string& service() const {
        assert(parameters.service);
        return *parameters.service;
    }
    const std::string& address() const {
        assert(parameters.address);
        return *parameters.address;
    }
    // The body as a JSON object; answers 400 itself when it is not one.
    std::optional<JsonPtr> jsonBody();
    // The body as `parse` (cJSON object -> JsonInput<T>, admin_json.h) reads it; answers 400
    // itself, naming the field, when the body is not a JSON object or `parse` refuses it.
    template <typename Parse> auto bodyAs(Parse&& parse) -> decltype(parse(nullptr).value) {
        auto body = jsonBody();
        if (!body)
            return std::nullopt;
        auto input = parse(body->get());
        if (!input) {
            reply.error(400, input.error, input.field);
            return std::nullopt;
        }
        return std::move(input.value);
    }
};

// The request path split at '/', each segment percent-decoded; empty segments are skipped.
// nullopt when a segment does not decode (a NUL byte or a bad escape).
std::optional<std::vector<std::string>> pathSegments(evhttp_request* request);

// The values of the query parameter `name`, in order, percent-decoded; one given bare (`?name`,
// no '=') reads as "1". nullopt when one of them does not decode. Other parameters are ignored.
std::optional<std::vector<std::string>> queryValues(evhttp_request* request, std::string_view name);

// The query parameter `name` as a yes or no: `1` (also `true`, `yes`, `on`, or a bare `name`)
// or `0`/`false`/`no`/`off`; false when absent. Other parameters are ignored. nullopt for a
// value that is neither. `?dry_run=1` and `?drain=1`.
std::optional<bool> booleanParameter(evhttp_request* request, std::string_view name);
inline std::optional<bool> dryRunParameter(evhttp_request* request) {
    return booleanParameter(request, "dry_run");
}

}  // namespace switchboard
