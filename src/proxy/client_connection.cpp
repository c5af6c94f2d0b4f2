// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/client_connection.h"

#include <algorithm>
#include <cstring>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/json.h"
#include "switchboard/base/log.h"
#include "switchboard/proxy/proxy_context.h"

namespace switchboard {

namespace {

bool isIdempotent(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
           method == "DELETE";
}

// The path the upstream sees: unchanged, or without the route when strip_prefix is set
// ("/apiA/x?q" -> "/x?q", "/apiA" -> "/").
std::string_view forwardedTarget(const ServiceConfig& service, std::string_view target,
                                 std::string& storage) {
    if (!service.strip_prefix || service.route == "/")
        return target;
    std::string_view rest = target.substr(service.route.size());
    if (service.route.back() == '/' || rest.empty() || rest.front() == '?') {
        storage.assign("/");
        storage.append(rest);
        return storage;
    }
    return rest;
}

HopFraming requestFraming(BodyFraming framing) {
    switch (framing) {
    case BodyFraming::ContentLength:
        return HopFraming::ContentLength;
    case BodyFraming::Chunked:
        return HopFraming::Chunked;
    default:
        return HopFraming::None;
    }
}

}  // namespace

// Keeps the connection alive while one of its callbacks runs: closeNow() inside a callback
// only marks it closed, and the outermost callback deletes it on the way out.
struct ClientConnection::CallbackScope {
    explicit CallbackScope(ClientConnection* connection) : connection_(connection) {
        connection_->enterCallback();
    }
    ~CallbackScope() { connection_->leaveCallback(); }
    ClientConnection* connection_;
};

ClientConnection::ClientConnection(ProxyContext& context, evutil_socket_t fd, std::string client_ip,
                                   TlsSession tls)
    : context_(context), client_(std::make_unique<StreamSocket>(context.base(), fd, this)) {
    request_.client_ip = std::move(client_ip);
    if (tls.ssl) {
        client_->acceptTls(std::move(tls.ssl), std::move(tls.context));
        request_.tls = true;
    }
}

ClientConnection::~ClientConnection() {
    context_.forget(this);
}

void ClientConnection::leaveCallback() {
    if (--callback_depth_ == 0 && closed_)
        delete this;
}

void ClientConnection::headDeadlinePassed(evutil_socket_t, short) {
    CallbackScope scope(this);
    if (closed_ || state_ != State::ReadingHead)
        return;
    head_deadline_armed_ = false;
    if (client_->handshaking()) {
        context_.stats().tls_handshakes_timed_out.add();
        logDebug("client " + request_.client_ip + ": TLS handshake not done in time");
        closeNow();  // no HTTP answer: the client has no TLS session to read one
        return;
    }
    logDebug("client " + request_.client_ip + ": request head not complete in time");
    request_.reset();
    respondError(408, jsonError("request head not complete in time"), /*close=*/true);
}

void ClientConnection::start() {
    head_deadline_.reset(
        evtimer_new(context_.base(), CCallback<&ClientConnection::headDeadlinePassed>::call, this));
    // Bounded input: a head larger than the limit, or pipelined requests piling up behind a
    // slow one, stop the reading instead of growing the buffer.
    client_->setInputLimit(std::max<std::size_t>(
        BodyRelay::kHighWater,
        static_cast<std::size_t>(context_.settings().max_header_bytes) + 4096));
    client_->setTimeout(context_.settings().client_timeout_ms);
    if (client_->handshaking()) {
        // A handshake trickled in byte by byte still ends at its deadline.
        const timeval limit =
            toTimeval(std::chrono::milliseconds(context_.settings().tls_handshake_timeout_ms));
        event_add(head_deadline_.get(), &limit);
        head_deadline_armed_ = true;
    }
}

void ClientConnection::shutdownWhenIdle() {
    request_.keep_alive = false;
    if (!closed_ && state_ == State::ReadingHead && evbuffer_get_length(client_->input()) == 0)
        closeNow();
}

// ---- socket events -------------------------------------------------------------------

void ClientConnection::onReadable(StreamSocket&) {
    CallbackScope scope(this);
    if (closed_)
        return;
    // The client's end during a tunnel is the tunnel's: it writes out what came before it.
    if (client_->atEof() && state_ != State::ReadingHead && state_ != State::Tunneling) {
        clientGone(false);
        return;
    }
    switch (state_) {
    case State::ReadingHead:
        serveInput();
        if (!closed_ && state_ == State::ReadingHead && client_->atEof())
            closeNow();  // the client is done; nothing is half served
        break;
    case State::Forwarding:
        exchange_.clientReadable();
        break;
    case State::Tunneling:
        tunnel_->clientReadable();
        break;
    case State::Closing:
        evbuffer_drain(client_->input(), evbuffer_get_length(client_->input()));
        break;
    }
}

void ClientConnection::onConnected(StreamSocket&) {
    // The TLS handshake is done: from here on the connection is like a plain one.
    context_.stats().tls_handshakes_ok.add();
    if (head_deadline_armed_) {
        event_del(head_deadline_.get());
        head_deadline_armed_ = false;
    }
}

void ClientConnection::onWritable(StreamSocket&) {
    CallbackScope scope(this);
    if (closed_)
        return;
    if (state_ == State::Closing) {
        if (evbuffer_get_length(client_->output()) == 0)
            closeNow();
        return;
    }
    if (state_ == State::Tunneling) {
        tunnel_->clientWritable();
        return;
    }
    exchange_.clientWritable();
}

void ClientConnection::onError(StreamSocket&, bool timed_out) {
    CallbackScope scope(this);
    if (closed_)
        return;
    if (client_->handshaking()) {
        (timed_out ? context_.stats().tls_handshakes_timed_out
                   : context_.stats().tls_handshakes_failed)
            .add();
        const std::string& reason = client_->tlsError();
        logDebug("client " + request_.client_ip + ": TLS handshake failed: " +
                 (timed_out        ? std::string("timed out")
                  : reason.empty() ? std::string(std::strerror(client_->lastError()))
                                   : reason));
        closeNow();
        return;
    }
    if (state_ == State::Tunneling) {
        tunnel_->clientFailed(timed_out);
        return;
    }
    clientGone(timed_out);
}

// ---- requests ------------------------------------------------------------------------

void ClientConnection::clientGone(bool timed_out) {
    if (state_ == State::Forwarding && exchange_.abandon()) {
        // The client is gone (or too slow): the upstream transfer stopped.
        if (!request_.response_started)
            request_.status = 499;  // nginx's "client closed request"
        recordRequest(request_.status);
    }
    if (timed_out)
        logDebug("client " + request_.client_ip + ": timed out");
    closeNow();
}

// Serves as many complete requests as the input holds, one after another, without
// recursion: a request that needs the upstream returns here and the loop ends.
void ClientConnection::serveInput() {
    if (serving_input_)
        return;  // the loop below is already running further up the stack
    serving_input_ = true;
    while (!closed_ && state_ == State::ReadingHead && startNextRequest()) {
    }
    serving_input_ = false;
    if (!closed_ && state_ == State::ReadingHead)
        client_->resumeReading();  // the input limit may have stopped it
}

bool ClientConnection::startNextRequest() {
    evbuffer* input = client_->input();
    const auto& settings = context_.settings();
    // Empty lines before a request line are ignored (RFC 9112 §2.2). Dropped here, their
    // CRLFs are not taken for the end of a head.
    char two[2];
    while (evbuffer_copyout(input, two, 2) == 2 && two[0] == '\r' && two[1] == '\n')
        evbuffer_drain(input, 2);
    std::string_view bytes = headBytes(input, static_cast<std::size_t>(settings.max_header_bytes));
    std::size_t head_length = 0;
    HttpParseError error;
    ParseResult parsed = ParseResult::Incomplete;
    if (!bytes.empty())
        parsed = parseRequestHead(bytes, static_cast<std::size_t>(settings.max_header_bytes), head_,
                                  head_length, error);
    if (parsed == ParseResult::Incomplete) {
        if (evbuffer_get_length(input) > 0 && !head_deadline_armed_) {
            // The whole head gets client_timeout_ms from its first byte, however it
            // trickles in (slowloris). (A head that comes whole needs no timer.)
            const timeval limit = toTimeval(std::chrono::milliseconds(settings.client_timeout_ms));
            event_add(head_deadline_.get(), &limit);
            head_deadline_armed_ = true;
        }
        return false;
    }
    if (head_deadline_armed_) {
        event_del(head_deadline_.get());
        head_deadline_armed_ = false;
    }
    request_.reset();
    if (parsed == ParseResult::Error) {
        // A HEAD gets the head of the error alone (RFC 9110 §9.3.2), whatever was wrong
        // after its method.
        if (!head_.method.empty())
            request_.method.assign(head_.method);
        request_.head_method = head_.method == "HEAD";
        logDebug("client " + request_.client_ip + ": bad request: " + error.message);
        respondError(error.status, jsonError(error.message), /*close=*/true);
        return false;
    }

    request_.method.assign(head_.method);
    request_.target.assign(head_.target);
    request_.head_bytes = head_length;
    // Only the combined and json lines name them: no header scan or copy otherwise.
    if (context_.accessLog().enabled() && settings.access_log_format != "default") {
        if (const auto* agent = head_.find("User-Agent"))
            request_.user_agent.assign(agent->value);
        if (const auto* referer = head_.find("Referer"))
            request_.referer.assign(referer->value);
    }
    if (settings.request_id)
        assignRequestId(head_, request_.request_id);
    request_.minor_version = head_.minor_version;
    request_.head_method = head_.method == "HEAD";
    request_.keep_alive = head_.keep_alive && !context_.shuttingDown();
    const HopFraming framing = requestFraming(head_.framing);
    request_.body.startRequest(framing, head_.content_length,
                               static_cast<std::uint64_t>(settings.max_request_body_bytes));
    request_.upgrade = requestedUpgrade(head_);
    // Once an upstream took an upgrade request, it may have switched already: never twice.
    request_.replayable =
        request_.body.done() && isIdempotent(request_.method) && request_.upgrade.empty();

    if (head_.asterisk_form) {
        // OPTIONS *: about switchboard itself, answered here. A body it may have is not
        // read: the connection closes after the answer then.
        evbuffer_drain(input, head_length);
        const bool keep = request_.keep_alive && request_.body.done();
        response_head_.clear();
        appendOptionsResponse(keep, response_head_);
        sendOwnAnswer(200, 0, keep);
        return keep;
    }
    std::string_view path = head_.target.substr(0, head_.target.find('?'));
    request_.pool = context_.services().route(head_.host, path);
    if (!request_.pool) {
        std::string body = JsonObject().add("error", "no route").add("path", path).toString();
        evbuffer_drain(input, head_length);
        respondError(404, body, !request_.body.done());
        return true;
    }
    if (head_.framing == BodyFraming::ContentLength &&
        head_.content_length > static_cast<std::uint64_t>(settings.max_request_body_bytes)) {
        evbuffer_drain(input, head_length);
        respondError(413, request_.serviceError("request body too large"), true);
        return false;
    }
    const auto& service = request_.pool->config();
    request_.hash_value.assign(requestHashValue(service.hash_key, head_));
    std::string stripped;
    request_.upstream_head.clear();
    // upstream_host (SPEC §13): the client's Host, a literal, or the upstream's host:port,
    // which is known once one is picked (needs_host).
    const bool host_of_upstream = service.upstream_host == "upstream";
    const bool literal_host = !host_of_upstream && service.upstream_host != "client";
    appendUpstreamRequestHead(
        {head_, forwardedTarget(service, head_.target, stripped), request_.client_ip, framing,
         head_.content_length, request_.upgrade, request_.tls, request_.request_id,
         literal_host ? std::string_view(service.upstream_host) : std::string_view(),
         host_of_upstream},
        request_.upstream_head);
    // An empty Host is passed on as is; an absolute-form target's authority is the Host.
    request_.needs_host = host_of_upstream ||
                          (!literal_host && !head_.absolute_form && head_.find("Host") == nullptr);
    bool expect_continue = head_.expect_continue && !request_.body.done();
    evbuffer_drain(input, head_length);  // head_'s views are invalid from here on
    if (request_.body.malformedSoFar(input)) {
        // Refused before the upstream sees a request that could never finish.
        logDebug("client " + request_.client_ip + ": malformed chunked body with the head");
        respondError(400, jsonError("malformed chunked request body"), /*close=*/true);
        return false;
    }

    state_ = State::Forwarding;
    if (expect_continue)
        client_->send("HTTP/1.1 100 Continue\r\n\r\n", 25);
    // Waiting for the upstream is not the client idling: the client's timer restarts with
    // every byte either way, the upstream's timeouts bound the wait.
    client_->setTimeout(std::max(settings.client_timeout_ms,
                                 settings.upstream_timeout_ms + settings.connect_timeout_ms));
    exchange_.start();
    return true;
}

void ClientConnection::waitForNextRequest() {
    state_ = State::ReadingHead;
    request_.upstream.reset();
    client_->setTimeout(context_.settings().client_timeout_ms);
    serveInput();  // a pipelined request may be waiting already
}

void ClientConnection::closeAfterFlush() {
    state_ = State::Closing;
    if (evbuffer_get_length(client_->output()) == 0)
        closeNow();
    // Otherwise onWritable closes once the output has gone out.
}

void ClientConnection::closeNow() {
    if (closed_)
        return;
    closed_ = true;
    exchange_.abandon();
    client_.reset();
    if (callback_depth_ == 0)
        delete this;
}

void ClientConnection::recordRequest(int status) {
    double seconds = std::chrono::duration<double>(Clock::now() - request_.started).count();
    const auto& pool = request_.pool;
    if (pool)
        pool->stats().recordResponse(status, seconds);
    AccessLog& log = context_.accessLog();
    if (log.enabled())
        log.write(AccessLog::formatNamed(context_.settings().access_log_format),
                  {request_.client_ip, request_.method, request_.target, request_.minor_version,
                   status, request_.bytes_sent, request_.head_bytes + request_.body.bytes(),
                   seconds, request_.upstream_seconds,
                   pool ? std::string_view(pool->name()) : std::string_view("-"), request_.tries,
                   request_.user_agent, request_.referer, request_.request_id, request_.tls});
}

// ---- how a request ends --------------------------------------------------------------

void ClientConnection::respondError(int status, const std::string& body, bool close) {
    bool keep = request_.keep_alive && !close;
    response_head_.clear();
    appendJsonResponse(status, body, keep, /*include_body=*/!request_.head_method, response_head_);
    sendOwnAnswer(status, request_.head_method ? 0 : body.size(), keep);
}

void ClientConnection::sendOwnAnswer(int status, std::size_t body_bytes, bool keep) {
    request_.status = status;
    insertRequestId(request_.request_id, response_head_);
    client_->send(response_head_.data(), response_head_.size());
    request_.bytes_sent = body_bytes;
    recordRequest(status);
    if (!keep) {
        closeAfterFlush();
        return;
    }
    waitForNextRequest();
}

void ClientConnection::finishResponse() {
    recordRequest(request_.status);
    if (!request_.keep_alive) {
        closeAfterFlush();
        return;
    }
    waitForNextRequest();
}

void ClientConnection::switchProtocols(std::unique_ptr<UpstreamConnection> upstream,
                                       InFlightGuard in_flight) {
    state_ = State::Tunneling;
    request_.keep_alive = false;
    tunnel_ = std::make_unique<TunnelRelay>(context_, static_cast<TunnelClient&>(*this), *client_,
                                            std::move(upstream), std::move(in_flight));
    tunnel_->start();
}

void ClientConnection::tunnelClosed() {
    // One access-log line for the whole tunnel, now that it is over (SPEC §10).
    request_.bytes_sent = tunnel_->bytesToClient();
    recordRequest(101);
    closeNow();
}

void ClientConnection::abortResponse(bool record) {
    if (record)
        recordRequest(request_.status);
    closeNow();
}

}  // namespace switchboard
