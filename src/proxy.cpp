#include "switchboard/proxy.h"

#include <event2/keyvalq_struct.h>

#include <string>
#include <vector>

#include "switchboard/http_util.h"
#include "switchboard/json.h"
#include "switchboard/log.h"

namespace switchboard {

namespace {

bool isIdempotent(evhttp_cmd_type method) {
    switch (method) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
    case EVHTTP_REQ_OPTIONS:
    case EVHTTP_REQ_PUT:
    case EVHTTP_REQ_DELETE:
        return true;
    default:
        return false;
    }
}

// The path the upstream sees: unchanged, or without the route when strip_prefix is set
// ("/apiA/x?q" -> "/x?q", "/apiA" -> "/").
std::string upstreamTarget(const ServiceConfig& service, std::string_view target) {
    if (!service.strip_prefix || service.route == "/")
        return std::string(target);
    std::string_view rest = target.substr(service.route.size());
    if (service.route.back() == '/')
        return "/" + std::string(rest);
    if (rest.empty() || rest.front() == '?')
        return "/" + std::string(rest);
    return std::string(rest);
}

std::string serviceError(const char* message, const std::string& service) {
    return JsonObject().add("error", message).add("service", service).toString();
}

// One proxied request, from the client's request to the end of the upstream's answer,
// across retries on other upstreams. It deletes itself when done.
//
// The upstream side uses evhttp's client with a header callback (to start the reply to the
// client as soon as the status line and headers are in) and a chunk callback (to pass the
// body on as it arrives), so a response is never held whole in memory.
class ProxyExchange {
  public:
    ProxyExchange(Proxy& proxy, evhttp_request* client, std::shared_ptr<ServicePool> pool,
                  std::string target)
        : proxy_(proxy), client_(client), pool_(std::move(pool)), target_(std::move(target)),
          settings_(proxy.registry().config().proxy) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(client_), onClientClosed,
                                      this);
    }

    void start() { tryNextUpstream(); }

  private:
    void tryNextUpstream() {
        PickContext context;
        context.tried = &tried_;
        upstream_ = pool_->pick(context);
        if (!upstream_) {
            if (tried_.empty())
                return finishWithError(502, serviceError("no upstreams available", pool_->name()));
            return finishWithError(502, serviceError("upstream unavailable", pool_->name()));
        }
        tried_.push_back(upstream_.get());
        upstream_->noteAttempt(Clock::now());
        ++upstream_->in_flight;
        ++upstream_->requests;
        sendUpstreamRequest();
    }

    void sendUpstreamRequest() {
        connection_ = proxy_.connections().acquire(
            *upstream_, std::chrono::milliseconds(settings_.upstream_timeout_ms));
        if (!connection_)
            return onUpstreamFailed(EVREQ_HTTP_EOF);
        upstream_request_ = evhttp_request_new(onUpstreamDone, this);
        evhttp_request_set_header_cb(upstream_request_, onUpstreamHeaders);
        evhttp_request_set_chunked_cb(upstream_request_, onUpstreamChunk);
        evhttp_request_set_error_cb(upstream_request_, onUpstreamError);

        evkeyvalq* in = evhttp_request_get_input_headers(client_);
        evkeyvalq* out = evhttp_request_get_output_headers(upstream_request_);
        copyEndToEndHeaders(in, out);
        addForwardingHeaders(in, out);

        evbuffer* body = evhttp_request_get_input_buffer(client_);
        if (evbuffer_get_length(body) > 0 || evhttp_find_header(in, "Content-Length") ||
            evhttp_find_header(in, "Transfer-Encoding")) {
            // Re-framed by us: the upstream gets exactly the bytes we parsed as this body.
            evbuffer_add_buffer_reference(evhttp_request_get_output_buffer(upstream_request_),
                                          body);
            evhttp_add_header(out, "Content-Length",
                              std::to_string(evbuffer_get_length(body)).c_str());
        }
        if (evhttp_make_request(connection_, upstream_request_,
                                evhttp_request_get_command(client_), target_.c_str()) != 0) {
            // evhttp freed the request already.
            upstream_request_ = nullptr;
            onUpstreamFailed(EVREQ_HTTP_EOF);
        }
    }

    void addForwardingHeaders(evkeyvalq* in, evkeyvalq* out) {
        std::string client_ip = peerAddress(client_);
        const char* previous = evhttp_find_header(in, "X-Forwarded-For");
        std::string forwarded_for = previous ? std::string(previous) + ", " + client_ip : client_ip;
        evhttp_remove_header(out, "X-Forwarded-For");
        evhttp_add_header(out, "X-Forwarded-For", forwarded_for.c_str());
        evhttp_remove_header(out, "X-Forwarded-Proto");
        evhttp_add_header(out, "X-Forwarded-Proto", "http");
        evhttp_remove_header(out, "X-Forwarded-Host");
        const char* host = evhttp_find_header(in, "Host");
        if (host) {
            evhttp_add_header(out, "X-Forwarded-Host", host);
        } else {
            evhttp_add_header(out, "Host", upstream_->name().c_str());
        }
        const char* via = evhttp_find_header(in, "Via");
        std::string new_via = via ? std::string(via) + ", 1.1 switchboard" : "1.1 switchboard";
        evhttp_remove_header(out, "Via");
        evhttp_add_header(out, "Via", new_via.c_str());
        evhttp_add_header(out, "Connection", "keep-alive");
    }

    static int onUpstreamHeaders(evhttp_request* response, void* arg) {
        auto* self = static_cast<ProxyExchange*>(arg);
        return self->startClientReply(response);
    }

    int startClientReply(evhttp_request* response) {
        response_started_ = true;
        if (client_gone_)
            return -1;  // abort reading the upstream; the connection is not reused
        evkeyvalq* out = evhttp_request_get_output_headers(client_);
        copyEndToEndHeaders(evhttp_request_get_input_headers(response), out);
        int status = evhttp_request_get_response_code(response);
        const char* reason = evhttp_request_get_response_code_line(response);
        evhttp_send_reply_start(client_, status, reason ? reason : reasonPhrase(status));
        return 0;
    }

    static void onUpstreamChunk(evhttp_request* response, void* arg) {
        auto* self = static_cast<ProxyExchange*>(arg);
        if (self->client_gone_) {
            evbuffer_drain(evhttp_request_get_input_buffer(response),
                           evbuffer_get_length(evhttp_request_get_input_buffer(response)));
            return;
        }
        evhttp_send_reply_chunk(self->client_, evhttp_request_get_input_buffer(response));
    }

    static void onUpstreamError(evhttp_request_error error, void* arg) {
        static_cast<ProxyExchange*>(arg)->last_error_ = error;
    }

    static void onUpstreamDone(evhttp_request* response, void* arg) {
        auto* self = static_cast<ProxyExchange*>(arg);
        self->upstream_request_ = nullptr;  // evhttp frees it after this callback
        if (!response || evhttp_request_get_response_code(response) == 0)
            return self->onUpstreamFailed(self->last_error_);
        self->onUpstreamSucceeded();
    }

    void onUpstreamSucceeded() {
        --upstream_->in_flight;
        upstream_->recordSuccess();
        proxy_.connections().release(*upstream_, connection_);
        connection_ = nullptr;
        evhttp_send_reply_end(client_);  // frees client_ also when the client is gone
        finish();
    }

    void onUpstreamFailed(int error) {
        --upstream_->in_flight;
        if (connection_) {
            proxy_.connections().discard(connection_);
            connection_ = nullptr;
        }
        if (client_gone_) {
            if (response_started_)
                evhttp_send_reply_end(client_);
            else
                evhttp_send_reply(client_, 502, "Bad Gateway", nullptr);
            return finish();
        }
        if (response_started_) {
            // Part of the answer is out: the client must not mistake it for a whole one.
            logWarn("upstream " + upstream_->name() + " of service " + pool_->name() +
                    " failed mid-response; closing the client connection");
            evhttp_connection* client_connection = evhttp_request_get_connection(client_);
            evhttp_connection_set_closecb(client_connection, nullptr, nullptr);
            client_gone_ = true;
            evhttp_connection_free(client_connection);  // frees client_ too
            return finish();
        }
        upstream_->recordFailure(Clock::now(), settings_.max_fails,
                                 std::chrono::milliseconds(settings_.fail_timeout_ms));
        if (error == EVREQ_HTTP_TIMEOUT)
            return finishWithError(504, serviceError("upstream timeout", pool_->name()));
        bool may_retry = isIdempotent(evhttp_request_get_command(client_));
        if (may_retry && static_cast<std::int64_t>(tried_.size()) <= settings_.retries)
            return tryNextUpstream();
        finishWithError(502, serviceError("upstream unavailable", pool_->name()));
    }

    void finishWithError(int status, const std::string& body) {
        sendJson(client_, status, body);
        finish();
    }

    void finish() {
        if (!client_gone_) {
            if (auto* connection = evhttp_request_get_connection(client_))
                evhttp_connection_set_closecb(connection, nullptr, nullptr);
        }
        delete this;
    }

    static void onClientClosed(evhttp_connection*, void* arg) {
        auto* self = static_cast<ProxyExchange*>(arg);
        self->client_gone_ = true;
        if (self->upstream_request_ && self->connection_) {
            // Stop the upstream transfer; its connection is not reused.
            evhttp_cancel_request(self->upstream_request_);
            self->upstream_request_ = nullptr;
            --self->upstream_->in_flight;
            self->proxy_.connections().discard(self->connection_);
            self->connection_ = nullptr;
            evhttp_send_reply_end(self->client_);
            self->finish();
        }
    }

    Proxy& proxy_;
    evhttp_request* client_;
    std::shared_ptr<ServicePool> pool_;
    std::string target_;
    ProxySettings settings_;
    std::shared_ptr<Upstream> upstream_;
    std::vector<const Upstream*> tried_;
    evhttp_connection* connection_ = nullptr;
    evhttp_request* upstream_request_ = nullptr;
    int last_error_ = EVREQ_HTTP_EOF;
    bool response_started_ = false;
    bool client_gone_ = false;
};

} // namespace

Proxy::Proxy(event_base* base, evdns_base* dns, Registry& registry)
    : base_(base), registry_(registry), connections_(base, dns) {}

void Proxy::onRequest(evhttp_request* request, void* arg) {
    static_cast<Proxy*>(arg)->handle(request);
}

void Proxy::handle(evhttp_request* request) {
    std::string_view target = evhttp_request_get_uri(request);
    if (target.empty() || target.front() != '/') {
        sendJson(request, 400, jsonError("request target must be a path"));
        return;
    }
    std::string_view path = target.substr(0, target.find('?'));
    const char* host = evhttp_find_header(evhttp_request_get_input_headers(request), "Host");
    auto pool = registry_.route(host ? host : "", path);
    if (!pool) {
        sendJson(request, 404,
                 JsonObject().add("error", "no route").add("path", path).toString());
        return;
    }
    auto* exchange = new ProxyExchange(*this, request, pool, upstreamTarget(pool->config(), target));
    exchange->start();
}

} // namespace switchboard
