// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/http/http_parser.h"

namespace switchboard {

// How a body travels on one hop. The two hops of a proxied message are framed
// independently: switchboard parses every body it forwards and frames it again, so a peer
// never sees bytes that switchboard did not read as part of this one message (SPEC §3).
enum class HopFraming {
    None,           // no body
    ContentLength,  // "Content-Length: n"
    Chunked,        // "Transfer-Encoding: chunked"
    UntilClose,     // no length; the connection closes after the body
};

// The request as the upstream gets it: `target` (the path after strip_prefix), the client's
// end-to-end headers without hop-by-hop ones, and switchboard's own X-Forwarded-For,
// X-Forwarded-Proto, X-Forwarded-Host and Via (SPEC §3). Expect is dropped: switchboard
// answers 100-continue itself. HTTP/1.1, keep-alive. Appends to `out`. When the client sent
// no Host (HTTP/1.0), neither does this head: the caller adds the upstream's address.
// An upgrade request (`upgrade` not empty, from requestedUpgrade) keeps its hop-by-hop
// `Upgrade: <upgrade>` and `Connection: upgrade`, the one exception to §3 (SPEC §10).
struct UpstreamRequestHead {
    const RequestHead& request;
    std::string_view target;
    std::string_view client_ip;
    HopFraming framing;  // None, ContentLength or Chunked
    std::uint64_t content_length;
    std::string_view upgrade;
    bool tls = false;  // X-Forwarded-Proto: https
    // Not empty: replaces the client's X-Request-Id (SPEC §13).
    std::string_view request_id = {};
    // Not empty: the Host sent instead of the client's (a service's upstream_host literal).
    // `omit_host`: no Host at all (the caller adds the chosen upstream's).
    std::string_view host = {};
    bool omit_host = false;
};

// The protocols a request asks to switch to (its Upgrade value, every line joined) when it
// is an upgrade request that switchboard passes on: HTTP/1.1, `upgrade` among its Connection
// tokens, a non-empty Upgrade, and no `h2c` in it (HTTP/2 over cleartext is a hop's own
// business: its Upgrade is dropped as any hop-by-hop field). "" for any other request.
std::string requestedUpgrade(const RequestHead& request);
void appendUpstreamRequestHead(const UpstreamRequestHead& head, std::string& out);

// The response head as the client gets it: status, reason and end-to-end headers of the
// upstream's answer, framed for this client, with "Connection: keep-alive" or "close".
// For HEAD answers the upstream's Content-Length is passed on as it is.
struct ClientResponseHead {
    const ResponseHead& response;
    HopFraming framing;
    std::uint64_t content_length;
    std::string_view transfer_encoding;  // the upstream's value, for Chunked passthrough
    bool keep_alive;
    bool head_request;
    std::string_view request_id = {};  // not empty: replaces the upstream's X-Request-Id
};
void appendClientResponseHead(const ClientResponseHead& head, std::string& out);

// The upstream's `101 Switching Protocols` as the client gets it: its end-to-end headers
// (Sec-WebSocket-Accept and the like), its Upgrade, and `Connection: upgrade`. What follows
// on the connection is the new protocol's, not HTTP.
void appendSwitchingProtocolsHead(const ResponseHead& response, std::string& out);

// SPEC §13: the request's ID, the client's X-Request-Id when it is 1 to 128 visible ASCII
// characters, else 32 random lowercase hex digits.
void assignRequestId(const RequestHead& request, std::string& out);
// Adds `X-Request-Id: id` to a complete message head in `message` (before its empty line).
void insertRequestId(std::string_view request_id, std::string& message);

// A response switchboard makes itself: JSON body, Content-Length, keep-alive or close.
// Without `include_body` (HEAD), the head is the same and the body is left out.
void appendJsonResponse(int status, std::string_view body, bool keep_alive, bool include_body,
                        std::string& out);

// The answer to `OPTIONS *` (RFC 9110 §9.3.7), which asks about the server, not a resource:
// 200 with the methods switchboard passes on in Allow, and no body.
void appendOptionsResponse(bool keep_alive, std::string& out);

// The values of every `name` field of a head, in order, joined with ", " (a field sent on
// several lines is one list, RFC 9110 §5.3). "" when there is none.
std::string joinFieldValues(const std::vector<HeaderField>& headers, std::string_view name);

// True for a header that describes one connection, not the message (RFC 9110 §7.6.1).
// `connection_headers` are the values of every Connection header of the message.
bool isHopByHopField(std::string_view name, const std::vector<HeaderField>& headers);

}  // namespace switchboard
