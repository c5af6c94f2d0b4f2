#include "switchboard/client_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "switchboard/http_util.h"
#include "switchboard/json.h"
#include "switchboard/log.h"
#include "switchboard/proxy.h"

namespace switchboard {

namespace {

timeval toTimeval(std::int64_t ms) {
    return {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
}

void setNoDelay(bufferevent* bev) {
    int one = 1;
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

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

std::string serviceError(const char* message, const std::string& service) {
    return JsonObject().add("error", message).add("service", service).toString();
}

// Feeds every contiguous segment of `buffer` (up to `limit` bytes) to `decoder`; returns the
// bytes consumed. Payload views point into the buffer until it is drained.
std::size_t decodeChunked(evbuffer* buffer, ChunkedDecoder& decoder,
                          std::vector<std::string_view>& payload) {
    payload.clear();
    evbuffer_iovec segments[16];
    int count = evbuffer_peek(buffer, -1, nullptr, segments, 16);
    std::size_t consumed = 0;
    for (int i = 0; i < std::min(count, 16); ++i) {
        std::string_view segment(static_cast<const char*>(segments[i].iov_base),
                                 segments[i].iov_len);
        std::size_t used = decoder.feed(segment, payload);
        consumed += used;
        if (decoder.done() || decoder.failed() || used < segment.size())
            break;
    }
    return consumed;
}

} // namespace

// Keeps the connection alive while one of its callbacks runs: closeNow() inside a callback
// only marks it closed, and the outermost callback deletes it on the way out.
struct ClientConnection::CallbackScope {
    explicit CallbackScope(ClientConnection* connection) : connection_(connection) {
        ++connection_->callback_depth_;
    }
    ~CallbackScope() {
        if (--connection_->callback_depth_ == 0 && connection_->closed_)
            delete connection_;
    }
    ClientConnection* connection_;
};

ClientConnection::ClientConnection(Proxy& proxy, evutil_socket_t fd, std::string client_ip)
    : proxy_(proxy),
      client_(bufferevent_socket_new(proxy.base(), fd, BEV_OPT_CLOSE_ON_FREE)),
      client_ip_(std::move(client_ip)) {}

ClientConnection::~ClientConnection() { proxy_.forget(this); }

void ClientConnection::start() {
    if (!client_) {
        delete this;
        return;
    }
    setNoDelay(client());
    bufferevent_setcb(client(), onClientRead, onClientWrite, onClientEvent, this);
    // Bounded input: a head larger than the limit, or pipelined requests piling up behind a
    // slow one, stop the reading instead of growing the buffer.
    std::size_t input_limit =
        std::max<std::size_t>(kHighWater, static_cast<std::size_t>(proxy_.settings().max_header_bytes) + 4096);
    bufferevent_setwatermark(client(), EV_READ, 0, input_limit);
    bufferevent_setwatermark(client(), EV_WRITE, kLowWater, 0);
    timeval idle = toTimeval(proxy_.settings().client_timeout_ms);
    bufferevent_set_timeouts(client(), &idle, &idle);
    bufferevent_enable(client(), EV_READ | EV_WRITE);
}

void ClientConnection::shutdownWhenIdle() {
    keep_alive_ = false;
    if (!closed_ && state_ == State::ReadingHead &&
        evbuffer_get_length(bufferevent_get_input(client())) == 0)
        closeNow();
}

// ---- client side ---------------------------------------------------------------------

void ClientConnection::onClientRead(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (self->state_ == State::ReadingHead) {
        self->serveInput();
    } else if (self->state_ == State::Forwarding && !self->request_body_done_ &&
               self->upstream_state_ >= UpstreamState::Sending) {
        self->pumpRequestBody();
    }
    // Otherwise the bytes are a pipelined request: it waits for the current response.
}

void ClientConnection::onClientWrite(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (self->state_ == State::Closing) {
        if (evbuffer_get_length(bufferevent_get_output(self->client())) == 0)
            self->closeNow();
        return;
    }
    // Below the low-water mark again: the upstream may send more.
    if (self->upstream_state_ == UpstreamState::ReadingBody && self->upstream()) {
        bufferevent_enable(self->upstream(), EV_READ);
        self->pumpResponseBody();
    }
}

void ClientConnection::onClientEvent(bufferevent*, short what, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (self->state_ == State::Forwarding && self->upstream_connection_) {
        // The client is gone (or too slow): stop the upstream transfer; that connection is
        // not reused, since the rest of its response would still be on the wire.
        self->releaseUpstream(false);
        --self->upstream_->in_flight;
        if (!self->response_started_)
            self->status_ = 499;  // nginx's "client closed request"
        self->recordRequest(self->status_);
    }
    if (what & BEV_EVENT_TIMEOUT)
        logDebug("client " + self->client_ip_ + ": timed out");
    self->closeNow();
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
}

bool ClientConnection::startNextRequest() {
    evbuffer* input = bufferevent_get_input(client());
    std::size_t length = evbuffer_get_length(input);
    if (length == 0)
        return false;
    const std::size_t limit = static_cast<std::size_t>(proxy_.settings().max_header_bytes);
    evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, nullptr);
    std::size_t available = end.pos >= 0 ? static_cast<std::size_t>(end.pos) + 4 : length;
    if (end.pos < 0 && length <= limit)
        return false;  // not all of the head is here yet
    available = std::min(available, limit + 4);
    auto* data = reinterpret_cast<const char*>(evbuffer_pullup(input, static_cast<ev_ssize_t>(available)));
    std::size_t head_length = 0;
    HttpParseError error;
    ParseResult parsed = parseRequestHead({data, available}, limit, head_, head_length, error);
    if (parsed == ParseResult::Incomplete)
        return false;
    method_.assign("-");
    target_.assign("-");
    pool_.reset();
    upstream_.reset();
    started_ = Clock::now();
    if (parsed == ParseResult::Error) {
        logDebug("client " + client_ip_ + ": bad request: " + error.message);
        respondError(error.status, jsonError(error.message), /*close=*/true);
        return false;
    }

    method_.assign(head_.method);
    target_.assign(head_.target);
    minor_version_ = head_.minor_version;
    is_head_request_ = head_.method == "HEAD";
    keep_alive_ = head_.keep_alive && !proxy_.shuttingDown();
    request_body_bytes_ = 0;
    switch (head_.framing) {
    case BodyFraming::ContentLength:
        request_framing_ = HopFraming::ContentLength;
        request_remaining_ = head_.content_length;
        request_body_done_ = head_.content_length == 0;
        break;
    case BodyFraming::Chunked:
        request_framing_ = HopFraming::Chunked;
        request_decoder_.reset();
        request_body_done_ = false;
        break;
    default:
        request_framing_ = HopFraming::None;
        request_body_done_ = true;
        break;
    }
    replayable_ = request_body_done_ && isIdempotent(method_);

    std::string_view path = head_.target.substr(0, head_.target.find('?'));
    pool_ = proxy_.registry().route(head_.host, path);
    if (!pool_) {
        std::string body = JsonObject().add("error", "no route").add("path", path).toString();
        evbuffer_drain(input, head_length);
        respondError(404, body, !request_body_done_);
        return true;
    }
    const auto& settings = proxy_.settings();
    if (head_.framing == BodyFraming::ContentLength &&
        head_.content_length > static_cast<std::uint64_t>(settings.max_request_body_bytes)) {
        evbuffer_drain(input, head_length);
        respondError(413, serviceError("request body too large", pool_->name()), true);
        return false;
    }
    const auto& service = pool_->config();
    hash_value_.clear();
    if (service.strategy == "consistent_hash") {
        constexpr std::string_view kHeaderPrefix = "header:";
        if (service.hash_key.compare(0, kHeaderPrefix.size(), kHeaderPrefix) == 0)
            if (const HeaderField* field = head_.find(std::string_view(service.hash_key).substr(kHeaderPrefix.size())))
                hash_value_.assign(field->value);
        if (hash_value_.empty())
            hash_value_ = client_ip_;
    }
    std::string stripped;
    upstream_head_.clear();
    appendUpstreamRequestHead({head_, forwardedTarget(service, head_.target, stripped), client_ip_,
                               request_framing_, head_.content_length},
                              upstream_head_);
    needs_host_ = head_.host.empty();
    bool expect_continue = head_.expect_continue && !request_body_done_;
    evbuffer_drain(input, head_length);  // head_'s views are invalid from here on

    state_ = State::Forwarding;
    tried_.clear();
    response_started_ = false;
    bytes_sent_ = 0;
    status_ = 0;
    if (expect_continue)
        bufferevent_write(client(), "HTTP/1.1 100 Continue\r\n\r\n", 25);
    // Waiting for the upstream is not the client idling: only the upstream timeout applies.
    timeval write_timeout = toTimeval(settings.client_timeout_ms);
    bufferevent_set_timeouts(client(), request_body_done_ ? nullptr : &write_timeout, &write_timeout);
    beginForwarding();
    return true;
}

void ClientConnection::beginForwarding() { tryNextUpstream(); }

void ClientConnection::respondError(int status, const std::string& body, bool close) {
    status_ = status;
    bool keep = keep_alive_ && !close && state_ != State::Closing;
    response_head_.clear();
    appendJsonResponse(status, body, keep, /*include_body=*/!is_head_request_, response_head_);
    bufferevent_write(client(), response_head_.data(), response_head_.size());
    bytes_sent_ = is_head_request_ ? 0 : body.size();
    recordRequest(status);
    if (!keep) {
        closeAfterFlush();
        return;
    }
    waitForNextRequest();
}

void ClientConnection::waitForNextRequest() {
    state_ = State::ReadingHead;
    upstream_.reset();
    timeval idle = toTimeval(proxy_.settings().client_timeout_ms);
    bufferevent_set_timeouts(client(), &idle, &idle);
    bufferevent_enable(client(), EV_READ);
    serveInput();  // a pipelined request may be waiting already
}

void ClientConnection::closeAfterFlush() {
    state_ = State::Closing;
    bufferevent_disable(client(), EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(client())) == 0) {
        closeNow();
        return;
    }
    bufferevent_setwatermark(client(), EV_WRITE, 0, 0);
}

void ClientConnection::closeNow() {
    if (closed_)
        return;
    closed_ = true;
    if (upstream_connection_)
        releaseUpstream(false);
    client_.reset();  // no more events; the object goes when the outermost callback returns
    if (callback_depth_ == 0)
        delete this;
}

void ClientConnection::recordRequest(int status) {
    double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (pool_)
        pool_->stats().recordResponse(status, seconds);
    AccessLog& log = proxy_.accessLog();
    if (log.enabled())
        log.write({client_ip_, method_, target_, minor_version_, status, bytes_sent_, seconds,
                   pool_ ? std::string_view(pool_->name()) : std::string_view("-"),
                   upstream_ ? std::string_view(upstream_->name()) : std::string_view("-")});
}

// ---- upstream side -------------------------------------------------------------------

void ClientConnection::tryNextUpstream() {
    PickContext context;
    context.tried = &tried_;
    context.client_ip = client_ip_;
    context.hash_value = hash_value_;
    upstream_ = pool_->pick(context);
    if (!upstream_) {
        respondError(502, serviceError(tried_.empty() ? "no upstreams available" : "upstream unavailable",
                                       pool_->name()),
                     !request_body_done_);
        return;
    }
    tried_.push_back(upstream_.get());
    upstream_->noteAttempt(context.now);
    ++upstream_->in_flight;
    ++upstream_->requests;

    if (auto idle = proxy_.pool().takeIdle(*upstream_)) {
        attachUpstream(std::move(idle));
        upstream_state_ = UpstreamState::Sending;
        sendRequest();
        return;
    }
    auto connection = proxy_.pool().connect(*upstream_);
    if (!connection) {
        upstreamFailed(Failure::Connect);
        return;
    }
    attachUpstream(std::move(connection));
    upstream_state_ = UpstreamState::Connecting;
    timeval connect_timeout = toTimeval(proxy_.settings().connect_timeout_ms);
    bufferevent_set_timeouts(upstream(), &connect_timeout, &connect_timeout);
}

void ClientConnection::attachUpstream(std::unique_ptr<UpstreamConnection> connection) {
    upstream_connection_ = std::move(connection);
    bufferevent_setcb(upstream(), onUpstreamRead, onUpstreamWrite, onUpstreamEvent, this);
    bufferevent_setwatermark(upstream(), EV_WRITE, kLowWater, 0);
    bufferevent_enable(upstream(), EV_READ | EV_WRITE);
}

void ClientConnection::onUpstreamEvent(bufferevent*, short what, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (what & BEV_EVENT_CONNECTED) {
        setNoDelay(self->upstream());
        self->upstream_state_ = UpstreamState::Sending;
        self->sendRequest();
        return;
    }
    switch (self->upstream_state_) {
    case UpstreamState::Connecting:
        return self->upstreamFailed(Failure::Connect);
    case UpstreamState::Sending:
    case UpstreamState::AwaitingHead:
        // Whatever arrived before the close may still hold a whole response.
        if ((what & BEV_EVENT_EOF) && evbuffer_get_length(bufferevent_get_input(self->upstream())) > 0) {
            self->readResponse();
            if (self->upstream_state_ != UpstreamState::AwaitingHead &&
                self->upstream_state_ != UpstreamState::Sending)
                return;
        }
        return self->upstreamFailed((what & BEV_EVENT_TIMEOUT) ? Failure::Timeout : Failure::Reset);
    case UpstreamState::ReadingBody:
        if ((what & BEV_EVENT_EOF) && self->response_framing_ == BodyFraming::UntilClose) {
            self->pumpResponseBody();
            self->upstream_keep_alive_ = false;
            return self->finishResponse();
        }
        return self->upstreamFailed((what & BEV_EVENT_TIMEOUT) ? Failure::Timeout : Failure::Reset);
    case UpstreamState::None:
        return;
    }
}

void ClientConnection::sendRequest() {
    const auto& settings = proxy_.settings();
    timeval upstream_timeout = toTimeval(settings.upstream_timeout_ms);
    bufferevent_set_timeouts(upstream(), &upstream_timeout, &upstream_timeout);
    if (needs_host_) {
        // An HTTP/1.0 client sent no Host: the upstream gets its own address (the head ends
        // in an empty line, which the Host line goes before).
        bufferevent_write(upstream(), upstream_head_.data(), upstream_head_.size() - 2);
        std::string host = "Host: " + upstream_->name() + "\r\n\r\n";
        bufferevent_write(upstream(), host.data(), host.size());
    } else {
        bufferevent_write(upstream(), upstream_head_.data(), upstream_head_.size());
    }
    if (request_body_done_) {
        upstream_state_ = UpstreamState::AwaitingHead;
        return;
    }
    pumpRequestBody();
}

bool ClientConnection::pumpRequestBody() {
    evbuffer* input = bufferevent_get_input(client());
    evbuffer* output = bufferevent_get_output(upstream());
    const auto limit = static_cast<std::uint64_t>(proxy_.settings().max_request_body_bytes);
    if (request_framing_ == HopFraming::ContentLength) {
        std::size_t moved = std::min<std::uint64_t>(request_remaining_, evbuffer_get_length(input));
        evbuffer_remove_buffer(input, output, moved);
        request_remaining_ -= moved;
        request_body_bytes_ += moved;
        request_body_done_ = request_remaining_ == 0;
    } else {
        while (!request_body_done_ && evbuffer_get_length(input) > 0) {
            std::size_t consumed = decodeChunked(input, request_decoder_, payload_);
            for (auto span : payload_) {
                char size_line[24];
                int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", span.size());
                evbuffer_add(output, size_line, static_cast<std::size_t>(n));
                evbuffer_add(output, span.data(), span.size());
                evbuffer_add(output, "\r\n", 2);
            }
            evbuffer_drain(input, consumed);
            request_body_bytes_ = request_decoder_.payloadBytes();
            if (request_decoder_.failed()) {
                logDebug("client " + client_ip_ + ": bad chunked body: " + request_decoder_.error());
                if (response_started_) {
                    closeNow();
                    return false;
                }
                releaseUpstream(false);
                --upstream_->in_flight;
                respondError(400, jsonError("malformed chunked request body"), true);
                return false;
            }
            if (request_body_bytes_ > limit) {
                if (response_started_) {
                    closeNow();
                    return false;
                }
                releaseUpstream(false);
                --upstream_->in_flight;
                respondError(413, serviceError("request body too large", pool_->name()), true);
                return false;
            }
            if (request_decoder_.done()) {
                evbuffer_add(output, "0\r\n\r\n", 5);
                request_body_done_ = true;
            }
            if (consumed == 0)
                break;
        }
    }
    if (request_body_done_) {
        if (upstream_state_ == UpstreamState::Sending)
            upstream_state_ = UpstreamState::AwaitingHead;
        bufferevent_enable(client(), EV_READ);
        timeval write_timeout = toTimeval(proxy_.settings().client_timeout_ms);
        bufferevent_set_timeouts(client(), nullptr, &write_timeout);
        return true;
    }
    // Backpressure: a slow upstream stops the reading of the client's body.
    if (evbuffer_get_length(output) > kHighWater)
        bufferevent_disable(client(), EV_READ);
    return true;
}

void ClientConnection::onUpstreamWrite(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (self->state_ == State::Forwarding && !self->request_body_done_ &&
        self->upstream_state_ >= UpstreamState::Sending) {
        bufferevent_enable(self->client(), EV_READ);
        self->pumpRequestBody();
    }
}

void ClientConnection::onUpstreamRead(bufferevent*, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_)
        return;
    if (self->upstream_state_ == UpstreamState::ReadingBody)
        self->pumpResponseBody();
    else if (self->upstream_state_ == UpstreamState::AwaitingHead ||
             self->upstream_state_ == UpstreamState::Sending)
        self->readResponse();
}

void ClientConnection::readResponse() {
    // Interim 1xx answers are read and dropped; the final answer starts the response.
    while (startResponse()) {
        if (upstream_state_ == UpstreamState::ReadingBody) {
            pumpResponseBody();
            return;
        }
    }
}

// Parses one response head. True when one was consumed (final or interim); false when more
// bytes are needed or the exchange ended.
bool ClientConnection::startResponse() {
    evbuffer* input = bufferevent_get_input(upstream());
    std::size_t length = evbuffer_get_length(input);
    if (length == 0)
        return false;
    const std::size_t limit = static_cast<std::size_t>(proxy_.settings().max_header_bytes);
    evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, nullptr);
    std::size_t available = end.pos >= 0 ? static_cast<std::size_t>(end.pos) + 4 : length;
    if (end.pos < 0 && length <= limit)
        return false;
    available = std::min(available, limit + 4);
    auto* data = reinterpret_cast<const char*>(evbuffer_pullup(input, static_cast<ev_ssize_t>(available)));
    std::size_t head_length = 0;
    HttpParseError error;
    ParseResult parsed = parseResponseHead({data, available}, limit, is_head_request_, response_,
                                           head_length, error);
    if (parsed == ParseResult::Incomplete)
        return false;
    if (parsed == ParseResult::Error) {
        logWarn("upstream " + upstream_->name() + " of service " + pool_->name() +
                ": bad response: " + error.message);
        upstreamFailed(Failure::BadResponse);
        return false;
    }
    if (response_.status < 200) {
        evbuffer_drain(input, head_length);
        if (response_.status == 101) {  // we never ask for an upgrade
            upstreamFailed(Failure::BadResponse);
            return false;
        }
        return true;
    }

    upstream_->recordSuccess();
    ++upstream_->stats.responses[statusClassIndex(response_.status)];
    status_ = response_.status;
    response_framing_ = response_.framing;
    upstream_keep_alive_ = response_.keep_alive;
    std::string_view transfer_encoding;
    switch (response_.framing) {
    case BodyFraming::None:
        client_framing_ = HopFraming::None;
        break;
    case BodyFraming::ContentLength:
        client_framing_ = HopFraming::ContentLength;
        response_remaining_ = response_.content_length;
        break;
    case BodyFraming::Chunked:
        response_decoder_.reset();
        if (minor_version_ >= 1) {
            client_framing_ = HopFraming::Chunked;
            if (const HeaderField* field = response_.find("Transfer-Encoding"))
                transfer_encoding = field->value;
        } else {
            client_framing_ = HopFraming::UntilClose;  // HTTP/1.0 clients know no chunks
        }
        break;
    case BodyFraming::UntilClose:
        client_framing_ = HopFraming::UntilClose;
        break;
    }
    if (client_framing_ == HopFraming::UntilClose || !request_body_done_)
        keep_alive_ = false;
    if (proxy_.shuttingDown())
        keep_alive_ = false;
    response_head_.clear();
    appendClientResponseHead({response_, client_framing_, response_remaining_, transfer_encoding,
                              keep_alive_, is_head_request_},
                             response_head_);
    evbuffer_drain(input, head_length);  // response_'s views are invalid from here on
    bufferevent_write(client(), response_head_.data(), response_head_.size());
    response_started_ = true;
    upstream_state_ = UpstreamState::ReadingBody;
    return true;
}

void ClientConnection::pumpResponseBody() {
    evbuffer* input = bufferevent_get_input(upstream());
    evbuffer* output = bufferevent_get_output(client());
    bool done = false;
    switch (response_framing_) {
    case BodyFraming::None:
        done = true;
        break;
    case BodyFraming::ContentLength: {
        std::size_t moved = std::min<std::uint64_t>(response_remaining_, evbuffer_get_length(input));
        evbuffer_remove_buffer(input, output, moved);
        response_remaining_ -= moved;
        bytes_sent_ += moved;
        done = response_remaining_ == 0;
        break;
    }
    case BodyFraming::Chunked:
        while (evbuffer_get_length(input) > 0 && !response_decoder_.done()) {
            std::uint64_t before = response_decoder_.payloadBytes();
            std::size_t consumed = decodeChunked(input, response_decoder_, payload_);
            if (response_decoder_.failed()) {
                logWarn("upstream " + upstream_->name() + ": bad chunked body: " +
                        response_decoder_.error());
                upstreamFailed(Failure::BadResponse);
                return;
            }
            if (client_framing_ == HopFraming::Chunked) {
                // The chunks pass on as they are: they were parsed, so they are well framed.
                evbuffer_remove_buffer(input, output, consumed);
            } else {
                for (auto span : payload_)
                    evbuffer_add(output, span.data(), span.size());
                evbuffer_drain(input, consumed);
            }
            bytes_sent_ += response_decoder_.payloadBytes() - before;
            if (consumed == 0)
                break;
        }
        done = response_decoder_.done();
        break;
    case BodyFraming::UntilClose: {
        std::size_t length = evbuffer_get_length(input);
        bytes_sent_ += length;
        evbuffer_remove_buffer(input, output, length);
        break;  // done at EOF (onUpstreamEvent)
    }
    }
    if (done) {
        if (evbuffer_get_length(input) > 0)
            upstream_keep_alive_ = false;  // bytes after the body: the framing was wrong
        finishResponse();
        return;
    }
    // Backpressure: a slow client stops the reading of the upstream's response.
    if (evbuffer_get_length(output) > kHighWater)
        bufferevent_disable(upstream(), EV_READ);
}

void ClientConnection::finishResponse() {
    --upstream_->in_flight;
    releaseUpstream(upstream_keep_alive_ && request_body_done_ && !upstream_->draining);
    recordRequest(status_);
    if (!keep_alive_) {
        closeAfterFlush();
        return;
    }
    waitForNextRequest();
}

void ClientConnection::releaseUpstream(bool reusable) {
    upstream_state_ = UpstreamState::None;
    if (!upstream_connection_)
        return;
    if (reusable) {
        proxy_.pool().release(std::move(upstream_connection_));
    } else {
        upstream_connection_.reset();
    }
}

void ClientConnection::upstreamFailed(Failure failure) {
    const bool stale_keep_alive = upstream_connection_ && upstream_connection_->reused &&
                                  failure == Failure::Reset;
    releaseUpstream(false);
    --upstream_->in_flight;
    ++upstream_->stats.responses[0];
    if (response_started_) {
        // Part of the answer is out: the client must not mistake it for a whole one.
        logWarn("upstream " + upstream_->name() + " of service " + pool_->name() +
                " failed mid-response; closing the client connection");
        recordRequest(status_);
        closeNow();
        return;
    }
    const auto& settings = proxy_.settings();
    // A reused keep-alive connection that breaks before answering was most likely closed
    // by the server while idle: not the upstream's failure.
    if (!stale_keep_alive)
        upstream_->recordFailure(Clock::now(), settings.max_fails,
                                 std::chrono::milliseconds(settings.fail_timeout_ms));
    if (failure == Failure::Timeout) {
        logWarn("upstream " + upstream_->name() + " of service " + pool_->name() + " timed out");
        respondError(504, serviceError("upstream timeout", pool_->name()), !request_body_done_);
        return;
    }
    if (failure == Failure::BadResponse) {
        respondError(502, serviceError("upstream unavailable", pool_->name()), !request_body_done_);
        return;
    }
    // Connect failures never sent a byte; a reset may retry only what can be sent again.
    bool may_retry = failure == Failure::Connect || replayable_;
    if (stale_keep_alive && replayable_) {
        tried_.pop_back();  // the same upstream may be picked again, on a fresh connection
        tryNextUpstream();
        return;
    }
    logDebug("upstream " + upstream_->name() + " of service " + pool_->name() +
             (failure == Failure::Connect ? ": connect failed" : ": connection reset"));
    if (may_retry && static_cast<std::int64_t>(tried_.size()) <= settings.retries) {
        tryNextUpstream();
        return;
    }
    respondError(502, serviceError("upstream unavailable", pool_->name()), !request_body_done_);
}

} // namespace switchboard
