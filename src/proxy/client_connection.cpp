#include "switchboard/proxy/client_connection.h"

#include <algorithm>
#include <cstdio>

#include "switchboard/base/json.h"
#include "switchboard/base/log.h"
#include "switchboard/proxy/proxy.h"

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

std::string serviceError(const char* message, const std::string& service) {
    return JsonObject().add("error", message).add("service", service).toString();
}

// Feeds the contiguous segments of `buffer` to `decoder`; returns the bytes consumed.
// Payload views point into the buffer until it is drained.
std::size_t decodeChunked(evbuffer* buffer, ChunkedDecoder& decoder,
                          std::vector<std::string_view>& payload) {
    payload.clear();
    constexpr int kSegments = 16;
    evbuffer_iovec segments[kSegments];
    int count = std::min(evbuffer_peek(buffer, -1, nullptr, segments, kSegments), kSegments);
    std::size_t consumed = 0;
    for (int i = 0; i < count; ++i) {
        std::string_view segment(static_cast<const char*>(segments[i].iov_base),
                                 segments[i].iov_len);
        std::size_t used = decoder.feed(segment, payload);
        consumed += used;
        if (decoder.done() || decoder.failed() || used < segment.size())
            break;
    }
    return consumed;
}

// The bytes of the message head at the start of `input`, made contiguous: up to its end
// when that has arrived, else all there is (so the parser can refuse a malformed head at
// its first bad byte instead of waiting for a CRLF CRLF that may never come), cut at the
// limit either way.
std::string_view headBytes(evbuffer* input, std::size_t limit) {
    std::size_t length = evbuffer_get_length(input);
    if (length == 0)
        return {};
    evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, nullptr);
    std::size_t available = end.pos >= 0 ? static_cast<std::size_t>(end.pos) + 4 : length;
    available = std::min(available, limit + 4);
    const auto* data = evbuffer_pullup(input, static_cast<ev_ssize_t>(available));
    return {reinterpret_cast<const char*>(data), available};
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
    : proxy_(proxy), client_(std::make_unique<StreamSocket>(proxy.base(), fd, this)),
      client_ip_(std::move(client_ip)) {}

ClientConnection::~ClientConnection() {
    UpstreamPool::cancelLookup(lookup_);
    proxy_.forget(this);
}

void ClientConnection::onHeadDeadline(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<ClientConnection*>(arg);
    CallbackScope scope(self);
    if (self->closed_ || self->state_ != State::ReadingHead)
        return;
    self->head_deadline_armed_ = false;
    logDebug("client " + self->client_ip_ + ": request head not complete in time");
    self->method_.assign("-");
    self->target_.assign("-");
    self->pool_.reset();
    self->upstream_.reset();
    self->started_ = Clock::now();
    self->is_head_request_ = false;
    self->respondError(408, jsonError("request head not complete in time"), /*close=*/true);
}

void ClientConnection::start() {
    head_deadline_.reset(evtimer_new(proxy_.base(), onHeadDeadline, this));
    // Bounded input: a head larger than the limit, or pipelined requests piling up behind a
    // slow one, stop the reading instead of growing the buffer.
    client_->setInputLimit(std::max<std::size_t>(
        kHighWater, static_cast<std::size_t>(proxy_.settings().max_header_bytes) + 4096));
    client_->setTimeout(proxy_.settings().client_timeout_ms);
}

void ClientConnection::shutdownWhenIdle() {
    keep_alive_ = false;
    if (!closed_ && state_ == State::ReadingHead && evbuffer_get_length(client_->input()) == 0)
        closeNow();
}

// ---- socket events -------------------------------------------------------------------

void ClientConnection::onReadable(StreamSocket& socket) {
    CallbackScope scope(this);
    if (closed_)
        return;
    if (&socket == client_.get())
        clientReadable();
    else
        upstreamReadable();
}

void ClientConnection::onWritable(StreamSocket& socket) {
    CallbackScope scope(this);
    if (closed_)
        return;
    if (&socket == client_.get()) {
        if (state_ == State::Closing) {
            if (evbuffer_get_length(client_->output()) == 0)
                closeNow();
            return;
        }
        if (pipe_ && upstream_state_ == UpstreamState::ReadingBody) {
            upstream()->setTimeout(proxy_.settings().upstream_timeout_ms);
            spliceResponseBody();
            return;
        }
        // Below the low-water mark again: the upstream may send more.
        if (upstream_state_ == UpstreamState::ReadingBody && upstream() &&
            evbuffer_get_length(client_->output()) < kLowWater) {
            upstream()->setTimeout(proxy_.settings().upstream_timeout_ms);
            upstream()->resumeReading();
        }
        return;
    }
    if (state_ == State::Forwarding && !request_body_done_ &&
        evbuffer_get_length(upstream()->output()) < kLowWater)
        client_->resumeReading();
}

void ClientConnection::onError(StreamSocket& socket, bool timed_out) {
    CallbackScope scope(this);
    if (closed_)
        return;
    if (&socket == client_.get())
        clientGone(timed_out);
    else
        upstreamBroke(timed_out);
}

void ClientConnection::onConnected(StreamSocket&) {
    CallbackScope scope(this);
    if (closed_)
        return;
    upstream_state_ = UpstreamState::Sending;
    sendRequest();
}

void ClientConnection::onConnecting(std::unique_ptr<UpstreamConnection> connection) {
    lookup_ = nullptr;
    upstream_connection_ = std::move(connection);
    upstream_state_ = UpstreamState::Connecting;
    upstream()->setTimeout(proxy_.settings().connect_timeout_ms);
}

void ClientConnection::onConnectFailed(const std::string& reason) {
    CallbackScope scope(this);
    lookup_ = nullptr;
    logWarn("upstream " + upstream_->name() + " of service " + pool_->name() + ": " + reason);
    upstreamFailed(Failure::Connect);
}

// ---- client side ---------------------------------------------------------------------

void ClientConnection::clientReadable() {
    if (client_->atEof() && state_ != State::ReadingHead) {
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
        if (!request_body_done_ && upstream_state_ >= UpstreamState::Sending)
            pumpRequestBody();
        // Otherwise the bytes are a pipelined request: it waits for the current response.
        break;
    case State::Closing:
        evbuffer_drain(client_->input(), evbuffer_get_length(client_->input()));
        break;
    }
}

void ClientConnection::clientGone(bool timed_out) {
    if (state_ == State::Forwarding && (upstream_connection_ || lookup_)) {
        // The client is gone (or too slow): stop the upstream transfer; that connection is
        // not reused, since the rest of its response would still be on the wire.
        releaseUpstream(false);
        --upstream_->in_flight;
        if (!response_started_)
            status_ = 499;  // nginx's "client closed request"
        recordRequest(status_);
    }
    if (timed_out)
        logDebug("client " + client_ip_ + ": timed out");
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
    const auto& settings = proxy_.settings();
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
    method_.assign("-");
    target_.assign("-");
    pool_.reset();
    upstream_.reset();
    started_ = Clock::now();
    bytes_sent_ = 0;
    is_head_request_ = false;
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
        std::string_view key = service.hash_key;
        if (key.substr(0, kHeaderPrefix.size()) == kHeaderPrefix)
            if (const HeaderField* field = head_.find(key.substr(kHeaderPrefix.size())))
                hash_value_.assign(field->value);
        if (hash_value_.empty())
            hash_value_ = client_ip_;
    }
    std::string stripped;
    upstream_head_.clear();
    appendUpstreamRequestHead({head_, forwardedTarget(service, head_.target, stripped), client_ip_,
                               request_framing_, head_.content_length},
                              upstream_head_);
    needs_host_ = head_.find("Host") == nullptr;  // an empty Host is passed on as it is
    bool expect_continue = head_.expect_continue && !request_body_done_;
    evbuffer_drain(input, head_length);  // head_'s views are invalid from here on

    state_ = State::Forwarding;
    tried_.clear();
    response_started_ = false;
    status_ = 0;
    if (expect_continue)
        client_->send("HTTP/1.1 100 Continue\r\n\r\n", 25);
    // Waiting for the upstream is not the client idling: the client's timer restarts with
    // every byte either way, the upstream's timeouts bound the wait.
    client_->setTimeout(std::max(settings.client_timeout_ms, settings.upstream_timeout_ms +
                                                                 settings.connect_timeout_ms));
    tryNextUpstream();
    return true;
}

void ClientConnection::respondError(int status, const std::string& body, bool close) {
    status_ = status;
    bool keep = keep_alive_ && !close;
    response_head_.clear();
    appendJsonResponse(status, body, keep, /*include_body=*/!is_head_request_, response_head_);
    client_->send(response_head_.data(), response_head_.size());
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
    upstream_state_ = UpstreamState::None;
    upstream_.reset();
    client_->setTimeout(proxy_.settings().client_timeout_ms);
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
    if (upstream_connection_ || lookup_)
        releaseUpstream(false);
    client_.reset();
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
        respondError(502,
                     serviceError(tried_.empty() ? "no upstreams available" : "upstream unavailable",
                                  pool_->name()),
                     !request_body_done_);
        return;
    }
    tried_.push_back(upstream_.get());
    upstream_->noteAttempt(context.now);
    ++upstream_->in_flight;
    ++upstream_->requests;

    if (auto idle = proxy_.pool().takeIdle(*upstream_)) {
        upstream_connection_ = std::move(idle);
        upstream()->setHandler(this);
        upstream_state_ = UpstreamState::Sending;
        sendRequest();
        return;
    }
    // onConnecting or onConnectFailed follows, maybe before connect() returns.
    if (auto* lookup = proxy_.pool().connect(*upstream_, this))
        lookup_ = lookup;
}

void ClientConnection::upstreamBroke(bool timed_out) {
    switch (upstream_state_) {
    case UpstreamState::Connecting:
        upstreamFailed(Failure::Connect);
        return;
    case UpstreamState::Sending:
    case UpstreamState::AwaitingHead:
        upstreamFailed(timed_out ? Failure::Timeout : Failure::Reset);
        return;
    case UpstreamState::ReadingBody:
        upstreamFailed(timed_out ? Failure::Timeout : Failure::Reset);
        return;
    case UpstreamState::None:
        return;
    }
}

void ClientConnection::sendRequest() {
    upstream()->setTimeout(proxy_.settings().upstream_timeout_ms);
    upstream()->setInputLimit(kHeadRead);
    if (needs_host_) {
        // An HTTP/1.0 client sent no Host: the upstream gets its own address (the head ends
        // in an empty line, which the Host line goes before).
        evbuffer_add(upstream()->output(), upstream_head_.data(), upstream_head_.size() - 2);
        std::string host = "Host: " + upstream_->name() + "\r\n\r\n";
        upstream()->send(host.data(), host.size());
    } else {
        upstream()->send(upstream_head_.data(), upstream_head_.size());
    }
    if (request_body_done_) {
        upstream_state_ = UpstreamState::AwaitingHead;
        return;
    }
    pumpRequestBody();
}

void ClientConnection::pumpRequestBody() {
    evbuffer* input = client_->input();
    StreamSocket* destination = upstream();
    const auto limit = static_cast<std::uint64_t>(proxy_.settings().max_request_body_bytes);
    if (request_framing_ == HopFraming::ContentLength) {
        std::size_t moved = std::min<std::uint64_t>(request_remaining_, evbuffer_get_length(input));
        destination->sendFrom(input, moved);
        request_remaining_ -= moved;
        request_body_bytes_ += moved;
        request_body_done_ = request_remaining_ == 0;
    } else {
        evbuffer* output = destination->output();
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
            bool bad = request_decoder_.failed();
            if (bad || request_body_bytes_ > limit) {
                if (bad)
                    logDebug("client " + client_ip_ + ": bad chunked body: " + request_decoder_.error());
                if (response_started_) {
                    closeNow();
                    return;
                }
                releaseUpstream(false);
                --upstream_->in_flight;
                if (bad)
                    respondError(400, jsonError("malformed chunked request body"), true);
                else
                    respondError(413, serviceError("request body too large", pool_->name()), true);
                return;
            }
            if (request_decoder_.done()) {
                evbuffer_add(output, "0\r\n\r\n", 5);
                request_body_done_ = true;
            }
            if (consumed == 0)
                break;
        }
        destination->flush();
    }
    if (request_body_done_) {
        if (upstream_state_ == UpstreamState::Sending)
            upstream_state_ = UpstreamState::AwaitingHead;
        client_->resumeReading();
        return;
    }
    // Backpressure: a slow upstream stops the reading of the client's body.
    if (evbuffer_get_length(destination->output()) > kHighWater)
        client_->pauseReading();
    else
        client_->resumeReading();
}

void ClientConnection::upstreamReadable() {
    if (upstream_state_ == UpstreamState::ReadingBody) {
        pumpResponseBody();
        return;
    }
    if (upstream_state_ == UpstreamState::AwaitingHead || upstream_state_ == UpstreamState::Sending) {
        readResponse();
        if (!closed_ && upstream() && upstream()->atEof() &&
            (upstream_state_ == UpstreamState::AwaitingHead ||
             upstream_state_ == UpstreamState::Sending))
            upstreamFailed(Failure::Reset);  // closed before (all of) a response head
    }
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
    evbuffer* input = upstream()->input();
    const auto limit = static_cast<std::size_t>(proxy_.settings().max_header_bytes);
    std::string_view bytes = headBytes(input, limit);
    if (bytes.empty())
        return false;
    std::size_t head_length = 0;
    HttpParseError error;
    ParseResult parsed =
        parseResponseHead(bytes, limit, is_head_request_, response_, head_length, error);
    // Past the first read: the rest of a head longer than kHeadRead, or a body that is not
    // spliced, is read in full chunks.
    upstream()->setInputLimit(upstreamInputLimit());
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
            // Every coding, in order, from every Transfer-Encoding line: the last, chunked,
            // is what lets the client find the end of this body.
            transfer_encoding_ = joinFieldValues(response_.headers, "transfer-encoding");
            transfer_encoding = transfer_encoding_;
        } else {
            client_framing_ = HopFraming::UntilClose;  // HTTP/1.0 clients know no chunks
        }
        break;
    case BodyFraming::UntilClose:
        client_framing_ = HopFraming::UntilClose;
        break;
    }
    if (client_framing_ == HopFraming::UntilClose || !request_body_done_ || proxy_.shuttingDown())
        keep_alive_ = false;
    response_head_.clear();
    appendClientResponseHead({response_, client_framing_, response_remaining_, transfer_encoding,
                              keep_alive_, is_head_request_},
                             response_head_);
    evbuffer_drain(input, head_length);  // response_'s views are invalid from here on
    // The head goes out with the first part of the body, in one write.
    evbuffer_add(client_->output(), response_head_.data(), response_head_.size());
    response_started_ = true;
    upstream_state_ = UpstreamState::ReadingBody;
    return true;
}

void ClientConnection::pumpResponseBody() {
    StreamSocket* source = upstream();
    evbuffer* input = source->input();
    bool done = false;
    switch (response_framing_) {
    case BodyFraming::None:
        done = true;
        client_->flush();
        break;
    case BodyFraming::ContentLength: {
        std::size_t moved = std::min<std::uint64_t>(response_remaining_, evbuffer_get_length(input));
        evbuffer_remove_buffer(input, client_->output(), moved);
        response_remaining_ -= moved;
        bytes_sent_ += moved;
        done = response_remaining_ == 0;
        if (!done && startSplicing()) {
            spliceResponseBody();
            return;
        }
        client_->flush();
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
                evbuffer_remove_buffer(input, client_->output(), consumed);
            } else {
                for (auto span : payload_)
                    evbuffer_add(client_->output(), span.data(), span.size());
                evbuffer_drain(input, consumed);
            }
            bytes_sent_ += response_decoder_.payloadBytes() - before;
            if (consumed == 0)
                break;
        }
        client_->flush();
        done = response_decoder_.done();
        break;
    case BodyFraming::UntilClose: {
        std::size_t length = evbuffer_get_length(input);
        bytes_sent_ += length;
        client_->sendFrom(input, length);
        done = source->atEof();
        upstream_keep_alive_ = false;
        break;
    }
    }
    if (closed_ || bodyEnded(done, evbuffer_get_length(input) > 0))
        return;
    // Backpressure: a slow client stops the reading of the upstream's response. While it
    // waits, the upstream is not late: the client's own timeout watches the progress.
    if (evbuffer_get_length(client_->output()) > kHighWater) {
        source->pauseReading();
        source->setTimeout(0);
    }
}

bool ClientConnection::bodyEnded(bool done, bool bytes_after_body) {
    if (done) {
        if (bytes_after_body)
            upstream_keep_alive_ = false;  // the framing was wrong: never reuse the connection
        finishResponse();
        return true;
    }
    if (upstream()->atEof()) {
        upstreamFailed(Failure::Reset);  // closed before the end of the body
        return true;
    }
    return false;
}

std::size_t ClientConnection::upstreamInputLimit() const {
    return std::max<std::size_t>(
        kHighWater, static_cast<std::size_t>(proxy_.settings().max_header_bytes) + 4096);
}

// The rest of a large Content-Length body goes from socket to socket through a pipe, in the
// kernel: half the copies of reading it into our memory and writing it out again. The head
// and whatever came with it go out first (the client's output buffer), then the pipe.
bool ClientConnection::startSplicing() {
    if (pipe_)
        return true;
    if (response_remaining_ < kSpliceMin)
        return false;
    pipe_ = proxy_.pipes().acquire();
    if (!pipe_)
        return false;  // none to spare: the body is copied
    upstream()->setDirectRead(true);
    return true;
}

void ClientConnection::spliceResponseBody() {
    // Up to this many pipefuls per turn of the loop, then the other connections' turn.
    constexpr int kRoundsPerTurn = 4;
    // Asked for per splice; the pipe (PipePool::kPipeBytes) takes what it can.
    constexpr std::uint64_t kSpliceAsk = 1 << 20;
    StreamSocket* source = upstream();
    for (int round = 0;; ++round) {
        while (pipe_->bytes > 0) {
            // The head and the body bytes read with it go first. They were held until the
            // pipe was filled, so the client gets them and the rest back to back.
            client_->flush();
            if (evbuffer_get_length(client_->output()) > 0 || !client_->writable()) {
                // A slow client: onWritable goes on. Meanwhile the upstream is not late.
                source->setTimeout(0);
                return;
            }
            long moved = client_->spliceOut(pipe_->readFd(), pipe_->bytes);
            if (moved < 0)
                return;  // onError follows from the loop
            pipe_->bytes -= static_cast<std::size_t>(moved);
            bytes_sent_ += static_cast<std::uint64_t>(moved);
        }
        const bool done = response_remaining_ == 0;
        if (bodyEnded(done, done && !source->drained()))
            return;
        if (!source->readable() || round == kRoundsPerTurn) {
            client_->flush();  // nothing is held back while waiting for the upstream
            if (source->readable())
                source->readLater();  // the other connections' turn first
            return;
        }
        long moved = source->spliceIn(pipe_->writeFd(), std::min(response_remaining_, kSpliceAsk));
        if (moved < 0)
            return;  // onError follows from the loop
        pipe_->bytes += static_cast<std::size_t>(moved);
        response_remaining_ -= static_cast<std::uint64_t>(moved);
    }
}

void ClientConnection::finishResponse() {
    --upstream_->in_flight;
    releaseUpstream(upstream_keep_alive_ && request_body_done_ && !upstream_->draining &&
                    !upstream()->atEof());
    recordRequest(status_);
    if (!keep_alive_) {
        closeAfterFlush();
        return;
    }
    waitForNextRequest();
}

void ClientConnection::releaseUpstream(bool reusable) {
    upstream_state_ = UpstreamState::None;
    if (pipe_) {
        pipe_.reset();
        upstream()->setDirectRead(false);
    }
    if (lookup_) {
        UpstreamPool::cancelLookup(lookup_);
        lookup_ = nullptr;
    }
    if (!upstream_connection_)
        return;
    if (reusable)
        proxy_.pool().release(std::move(upstream_connection_));
    else
        upstream_connection_.reset();
}

void ClientConnection::upstreamFailed(Failure failure) {
    const bool stale_keep_alive =
        upstream_connection_ && upstream_connection_->reused && failure == Failure::Reset &&
        !response_started_;
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
    if (stale_keep_alive && replayable_) {
        tried_.pop_back();  // the same upstream may be picked again, on a fresh connection
        tryNextUpstream();
        return;
    }
    logDebug("upstream " + upstream_->name() + " of service " + pool_->name() +
             (failure == Failure::Connect ? ": connect failed" : ": connection reset"));
    // Connect failures never sent a byte; a reset may retry only what can be sent again.
    bool may_retry = failure == Failure::Connect || replayable_;
    if (may_retry && static_cast<std::int64_t>(tried_.size()) <= settings.retries) {
        tryNextUpstream();
        return;
    }
    respondError(502, serviceError("upstream unavailable", pool_->name()), !request_body_done_);
}

} // namespace switchboard
