// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

struct evhttp_request;

namespace switchboard {

// Sends `body` with Content-Type application/json and the given status.
void sendJson(evhttp_request* request, int status, std::string_view body);
// Sends any body with the given content type.
void sendBody(evhttp_request* request, int status, std::string_view content_type,
              std::string_view body);

// The peer's address as text, without port ("127.0.0.1", "::1").
std::string peerAddress(evhttp_request* request);

}  // namespace switchboard
