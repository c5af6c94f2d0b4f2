#pragma once

#include <string>
#include <string_view>

struct evhttp_request;
struct evkeyvalq;

namespace switchboard {

// The standard reason phrase for a status code ("Bad Gateway").
const char* reasonPhrase(int status);

// Sends `body` with Content-Type application/json and the given status.
void sendJson(evhttp_request* request, int status, std::string_view body);
// Sends any body with the given content type.
void sendBody(evhttp_request* request, int status, std::string_view content_type,
              std::string_view body);

// True for headers that describe one connection rather than the message (RFC 9110 §7.6.1):
// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, and
// any name listed in the message's own Connection header.
bool isHopByHopHeader(std::string_view name, const char* connection_header);

// Copies the end-to-end headers of `from` into `to`.
void copyEndToEndHeaders(const evkeyvalq* from, evkeyvalq* to);

// The peer's address as text, without port ("127.0.0.1", "::1").
std::string peerAddress(evhttp_request* request);

} // namespace switchboard
