// SPDX-License-Identifier: Apache-2.0
#include "switchboard/http/message_rewrite.h"

#include <charconv>
#include <random>

#include "switchboard/http/http_chars.h"
#include "switchboard/http/status_text.h"

namespace switchboard {

namespace {

void appendNumber(std::string& out, std::uint64_t value) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

// Names a proxy always drops: hop-by-hop by definition, or framing it writes itself.
constexpr std::string_view kAlwaysHopByHop[] = {"connection", "keep-alive", "proxy-connection",
                                                "te",         "trailer",    "transfer-encoding",
                                                "upgrade"};

// The fields of a response that describe the message, not the hop, in the order sent.
// Content-Length only when `content_length`: the client's hop is framed by switchboard.
// `skip`: a field name (lower case) left out as well, for one switchboard writes itself.
void appendEndToEndFields(const std::vector<HeaderField>& headers, bool content_length,
                          std::string& out, std::string_view skip = {}) {
    bool has_connection_header = false;
    for (const auto& field : headers)
        has_connection_header = has_connection_header || equalsLower(field.name, "connection");
    for (const auto& field : headers) {
        if (equalsLower(field.name, "content-length")) {
            if (content_length)
                appendField(out, field.name, field.value);
            continue;
        }
        if (has_connection_header ? isHopByHopField(field.name, headers)
                                  : isHopByHopField(field.name, {}))
            continue;
        if (!skip.empty() && equalsLower(field.name, skip))
            continue;
        appendField(out, field.name, field.value);
    }
}

}  // namespace

void assignRequestId(const RequestHead& request, std::string& out) {
    out.clear();
    if (const HeaderField* sent = request.find("X-Request-Id")) {
        bool visible = !sent->value.empty() && sent->value.size() <= 128;
        for (char c : sent->value)
            visible = visible && c > 0x20 && c < 0x7f;
        if (visible) {
            out.assign(sent->value);
            return;
        }
    }
    // Not a secret, only unique: a per-thread generator seeded once from the kernel.
    thread_local std::mt19937_64 generator{std::random_device{}()};
    static const char kHex[] = "0123456789abcdef";
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = generator();
        for (int digit = 0; digit < 16; ++digit, bits >>= 4)
            out.push_back(kHex[bits & 15]);
    }
}

void insertRequestId(std::string_view request_id, std::string& message) {
    std::size_t end = message.find("\r\n\r\n");
    if (request_id.empty() || end == std::string::npos)
        return;
    std::string field = "\r\nX-Request-Id: ";
    field.append(request_id);
    message.insert(end, field);
}

std::string joinFieldValues(const std::vector<HeaderField>& headers, std::string_view name) {
    std::string joined;
    for (const auto& field : headers) {
        // An empty line adds no element to the list (RFC 9110 §5.6.1), and joined it would
        // leave a trailing ", " that the next parser trims.
        if (!equalsIgnoreCase(field.name, name) || field.value.empty())
            continue;
        if (!joined.empty())
            joined.append(", ");
        joined.append(field.value);
    }
    return joined;
}

std::string requestedUpgrade(const RequestHead& request) {
    // RFC 9110 §7.8: an Upgrade in an HTTP/1.0 request is ignored.
    if (request.minor_version < 1)
        return {};
    bool asked = false;
    for (const auto& field : request.headers)
        asked = asked ||
                (equalsLower(field.name, "connection") && listHasToken(field.value, "upgrade"));
    if (!asked)
        return {};
    std::string protocols = joinFieldValues(request.headers, "upgrade");
    bool h2c = false;
    bool named = false;
    forEachListElement(protocols, [&h2c, &named](std::string_view protocol) {
        named = named || !protocol.empty();
        // A protocol may carry a version: `h2c/1` is h2c too.
        h2c = equalsLower(protocol.substr(0, protocol.find('/')), "h2c");
        return !h2c;
    });
    if (h2c || !named)
        return {};
    return protocols;
}

bool isHopByHopField(std::string_view name, const std::vector<HeaderField>& headers) {
    for (auto hop : kAlwaysHopByHop)
        if (equalsLower(name, hop))
            return true;
    // A Connection header cannot make the message's Host hop-by-hop: without it the request
    // would reach the upstream with no Host at all.
    if (equalsLower(name, "host"))
        return false;
    for (const auto& field : headers)
        if (equalsLower(field.name, "connection") && listHasToken(field.value, name))
            return true;
    return false;
}

void appendUpstreamRequestHead(const UpstreamRequestHead& head, std::string& out) {
    const RequestHead& request = head.request;
    out.append(request.method);
    out.push_back(' ');
    out.append(head.target);
    out.append(" HTTP/1.1\r\n");

    // Several X-Forwarded-For (or Via) lines are one list (RFC 9110 §5.3): all of them go on,
    // in order, with this hop appended.
    auto appendListField = [&out, &request](std::string_view name) {
        bool first = true;
        for (const auto& field : request.headers) {
            if (!equalsIgnoreCase(field.name, name) || field.value.empty())
                continue;
            out.append(first ? "" : ", ");
            out.append(field.value);
            first = false;
        }
        if (!first)
            out.append(", ");
    };
    bool has_connection_header = false;
    for (const auto& field : request.headers)
        has_connection_header = has_connection_header || equalsLower(field.name, "connection");
    for (const auto& field : request.headers) {
        const auto& name = field.name;
        if (equalsLower(name, "x-forwarded-for") || equalsLower(name, "via") ||
            equalsLower(name, "content-length") || equalsLower(name, "expect") ||
            equalsLower(name, "x-forwarded-proto") || equalsLower(name, "x-forwarded-host"))
            continue;
        if (!head.request_id.empty() && equalsLower(name, "x-request-id"))
            continue;
        if ((head.omit_host || !head.host.empty()) && equalsLower(name, "host"))
            continue;
        if (has_connection_header ? isHopByHopField(name, request.headers)
                                  : isHopByHopField(name, {}))
            continue;
        // An absolute-form target's authority replaces Host (RFC 9112 §3.2.2).
        if (request.absolute_form && equalsLower(name, "host"))
            continue;
        appendField(out, name, field.value);
    }
    if (!head.host.empty())
        appendField(out, "Host", head.host);
    else if (request.absolute_form && !head.omit_host)
        appendField(out, "Host", request.host);
    if (!head.request_id.empty())
        appendField(out, "X-Request-Id", head.request_id);
    if (!head.upgrade.empty()) {
        appendField(out, "Upgrade", head.upgrade);
        out.append("Connection: upgrade\r\n");
    }
    out.append("X-Forwarded-For: ");
    appendListField("x-forwarded-for");
    out.append(head.client_ip);
    out.append(head.tls ? "\r\nX-Forwarded-Proto: https\r\n" : "\r\nX-Forwarded-Proto: http\r\n");
    if (!request.host.empty())
        appendField(out, "X-Forwarded-Host", request.host);
    out.append("Via: ");
    appendListField("via");
    out.append("1.1 switchboard\r\n");
    if (head.framing == HopFraming::ContentLength) {
        out.append("Content-Length: ");
        appendNumber(out, head.content_length);
        out.append("\r\n");
    } else if (head.framing == HopFraming::Chunked) {
        out.append("Transfer-Encoding: chunked\r\n");
    }
    out.append("\r\n");
}

void appendClientResponseHead(const ClientResponseHead& head, std::string& out) {
    const ResponseHead& response = head.response;
    out.append("HTTP/1.1 ");
    appendNumber(out, static_cast<std::uint64_t>(response.status));
    out.push_back(' ');
    out.append(response.reason.empty() ? std::string_view(reasonPhrase(response.status))
                                       : response.reason);
    out.append("\r\n");
    appendEndToEndFields(response.headers, head.head_request && head.framing == HopFraming::None,
                         out, head.request_id.empty() ? std::string_view() : "x-request-id");
    if (!head.request_id.empty())
        appendField(out, "X-Request-Id", head.request_id);
    switch (head.framing) {
    case HopFraming::ContentLength:
        out.append("Content-Length: ");
        appendNumber(out, head.content_length);
        out.append("\r\n");
        break;
    case HopFraming::Chunked:
        appendField(out, "Transfer-Encoding",
                    head.transfer_encoding.empty() ? "chunked" : head.transfer_encoding);
        break;
    case HopFraming::None:
    case HopFraming::UntilClose:
        break;
    }
    out.append(head.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

void appendSwitchingProtocolsHead(const ResponseHead& response, std::string& out) {
    out.append("HTTP/1.1 101 ");
    out.append(response.reason.empty() ? std::string_view("Switching Protocols") : response.reason);
    out.append("\r\n");
    appendEndToEndFields(response.headers, /*content_length=*/false, out);
    appendField(out, "Upgrade", joinFieldValues(response.headers, "upgrade"));
    out.append("Connection: upgrade\r\n\r\n");
}

void appendJsonResponse(int status, std::string_view body, bool keep_alive, bool include_body,
                        std::string& out) {
    out.append("HTTP/1.1 ");
    appendNumber(out, static_cast<std::uint64_t>(status));
    out.push_back(' ');
    out.append(reasonPhrase(status));
    out.append("\r\nContent-Type: application/json\r\nContent-Length: ");
    appendNumber(out, body.size());
    out.append(keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    if (include_body)
        out.append(body);
}

void appendOptionsResponse(bool keep_alive, std::string& out) {
    out.append("HTTP/1.1 200 OK\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"
               "Content-Length: 0\r\n");
    out.append(keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

}  // namespace switchboard
