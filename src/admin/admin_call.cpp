// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/admin_call.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include <cstdlib>
#include <utility>

#include "switchboard/admin/admin_json.h"
#include "switchboard/admin/evhttp_reply.h"
#include "switchboard/http/status_text.h"

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

std::string requestBody(evhttp_request* request) {
    evbuffer* input = evhttp_request_get_input_buffer(request);
    std::size_t length = evbuffer_get_length(input);
    const auto* bytes = reinterpret_cast<const char*>(evbuffer_pullup(input, -1));
    return bytes ? std::string(bytes, length) : std::string();
}

}  // namespace

AdminReply::~AdminReply() {
    if (!sent_)
        error(500, "internal error: the admin call was not answered");
}

void AdminReply::header(const char* name, const std::string& value) {
    evhttp_add_header(evhttp_request_get_output_headers(request_), name, value.c_str());
}

void AdminReply::body(int status, std::string_view content_type, std::string_view text) {
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

void AdminReply::error(int status, std::string_view message, std::string_view field) {
    JsonObject object;
    object.add("error", message);
    if (!field.empty())
        object.add("field", field);
    json(status, object.toString());
}

void AdminReply::error(const Error& error) {
    JsonObject object;
    object.add("error", error.message);
    if (!error.reason.empty())
        object.add("reason", error.reason);
    json(httpStatusFor(error.kind), object.toString());
}

AdminCall::AdminCall(evhttp_request* r)
    : request(r), reply(r), method(evhttp_request_get_command(r)), peer(peerAddress(r)) {
    const char* uri = evhttp_request_get_uri(r);
    text = std::string(methodName(method)) + " " + (uri ? uri : "");
}

std::optional<std::string_view> AdminCall::ifMatch() const {
    const char* value = evhttp_find_header(evhttp_request_get_input_headers(request), "If-Match");
    if (!value)
        return std::nullopt;
    return std::string_view(value);
}

std::optional<JsonPtr> AdminCall::jsonBody() {
    auto parsed = parseJsonObject(requestBody(request));
    if (!parsed) {
        reply.error(400, parsed.error, parsed.field);
        return std::nullopt;
    }
    return std::move(*parsed.value);
}

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

std::optional<std::vector<std::string>> queryValues(evhttp_request* request,
                                                    std::string_view name) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
    const char* raw = uri ? evhttp_uri_get_query(uri) : nullptr;
    std::string_view query = raw ? raw : "";
    std::vector<std::string> values;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        auto equals = pair.find('=');
        auto key = percentDecode(pair.substr(0, equals));
        if (!key || *key != name)
            continue;
        auto value = equals == std::string_view::npos ? std::optional<std::string>("1")
                                                      : percentDecode(pair.substr(equals + 1));
        if (!value)
            return std::nullopt;
        values.push_back(std::move(*value));
    }
    return values;
}

std::optional<bool> booleanParameter(evhttp_request* request, std::string_view name) {
    auto values = queryValues(request, name);
    if (!values)
        return std::nullopt;
    bool yes = false;
    for (const std::string& value : *values) {
        if (value == "1" || value == "true" || value == "yes" || value == "on")
            yes = true;
        else if (value == "0" || value == "false" || value == "no" || value == "off")
            yes = false;
        else
            return std::nullopt;
    }
    return yes;
}

}  // namespace switchboard
