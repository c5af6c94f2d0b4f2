#include "switchboard/http_util.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <strings.h>

#include "switchboard/libevent.h"

namespace switchboard {

const char* reasonPhrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    case 100: return "Continue";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 403: return "Forbidden";
    case 408: return "Request Timeout";
    default: return "";
    }
}

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

namespace {

constexpr const char* kHopByHop[] = {"connection", "keep-alive", "proxy-connection", "te",
                                     "trailer",    "transfer-encoding", "upgrade"};

bool listedIn(std::string_view name, const char* connection_header) {
    if (!connection_header)
        return false;
    std::string_view list(connection_header);
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view token = list.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
            token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
            token.remove_suffix(1);
        if (token.size() == name.size() && strncasecmp(token.data(), name.data(), name.size()) == 0)
            return true;
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

bool isHopByHopHeader(std::string_view name, const char* connection_header) {
    for (const char* hop : kHopByHop)
        if (name.size() == std::char_traits<char>::length(hop) &&
            strncasecmp(name.data(), hop, name.size()) == 0)
            return true;
    return listedIn(name, connection_header);
}

void copyEndToEndHeaders(const evkeyvalq* from, evkeyvalq* to) {
    const char* connection = evhttp_find_header(from, "Connection");
    for (const evkeyval* header = from->tqh_first; header; header = header->next.tqe_next)
        if (!isHopByHopHeader(header->key, connection))
            evhttp_add_header(to, header->key, header->value);
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

} // namespace switchboard
