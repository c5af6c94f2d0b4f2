// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/evhttp_reply.h"

#include <event2/http.h>

#include "switchboard/base/libevent.h"
#include "switchboard/http/status_text.h"

namespace switchboard {

void sendBody(evhttp_request* request, int status, std::string_view content_type,
              std::string_view body) {
    evkeyvalq* headers = evhttp_request_get_output_headers(request);
    evhttp_remove_header(headers, "Content-Type");
    evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
    EvbufferPtr buffer(evbuffer_new());
    evbuffer_add(buffer.get(), body.data(), body.size());
    evhttp_send_reply(request, status, reasonPhrase(status), buffer.get());
}

void sendJson(evhttp_request* request, int status, std::string_view body) {
    sendBody(request, status, "application/json", body);
}

std::string peerAddress(evhttp_request* request) {
    evhttp_connection* connection = evhttp_request_get_connection(request);
    if (!connection)
        return "";
    char* address = nullptr;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(connection, &address, &port);
    return address ? address : "";
}

}  // namespace switchboard
