// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/upstream_exchange.h"

#include <algorithm>
#include <cstring>

#include "switchboard/base/json.h"
#include "switchboard/base/log.h"
#include "switchboard/proxy/proxy_context.h"

namespace switchboard {

namespace {

// "service api: upstream 10.0.0.1:80": how every line about an attempt starts.
std::string upstreamText(const ProxiedRequest& request) {
    return "service " + request.pool->name() + ": upstream " + request.upstream->name();
}

std::string msText(std::int64_t ms) {
    return std::to_string(ms) + " ms";
}

// What the kernel said, or `otherwise` when it said nothing (a failure inside libevent).
std::string errorText(int error, const char* otherwise) {
    return error != 0 ? std::string(std::strerror(error)) : otherwise;
}

// Keeps the client side (and so this exchange) alive through an upstream callback.
class ClientHold {
  public:
    explicit ClientHold(ExchangeClient& client) : client_(client) { client_.enterCallback(); }
    ~ClientHold() { client_.leaveCallback(); }
    ClientHold(const ClientHold&) = delete;
    ClientHold& operator=(const ClientHold&) = delete;

  private:
    ExchangeClient& client_;
};

}  // namespace

UpstreamExchange::UpstreamExchange(ProxyContext& context, ExchangeClient& client,
                                   ProxiedRequest& request)
    : context_(context), client_(client), request_(request) {}

UpstreamExchange::~UpstreamExchange() {
    UpstreamPool::cancelLookup(lookup_);
}

void UpstreamExchange::start() {
    tried_.clear();
    tryNextUpstream();
}

bool UpstreamExchange::abandon() {
    if (!connection_ && !lookup_)
        return false;
    release(false);
    return true;
}

void UpstreamExchange::clientReadable() {
    if (!request_.body.done() && state_ >= State::Sending)
        pumpRequestBody();
    // Otherwise the bytes are a pipelined request: it waits for the current response.
}

void UpstreamExchange::clientWritable() {
    if (state_ != State::ReadingBody || !upstream())
        return;
    if (pipe_) {
        upstream()->setTimeout(context_.settings().upstream_timeout_ms);
        spliceResponseBody();
        return;
    }
    // Below the low-water mark again: the upstream may send more.
    if (evbuffer_get_length(client_.clientSocket().output()) < BodyRelay::kLowWater) {
        upstream()->setTimeout(context_.settings().upstream_timeout_ms);
        upstream()->resumeReading();
    }
}

// ---- upstream socket events ----------------------------------------------------------

void UpstreamExchange::onReadable(StreamSocket&) {
    ClientHold hold(client_);
    if (client_.clientClosed())
        return;
    if (state_ == State::ReadingBody) {
        pumpResponseBody();
        return;
    }
    if (state_ != State::AwaitingHead && state_ != State::Sending)
        return;
    // Interim 1xx answers are read and dropped; the final answer starts the response.
    while (startResponse()) {
        if (state_ == State::ReadingBody) {
            pumpResponseBody();
            return;
        }
    }
    if (!client_.clientClosed() && upstream() && upstream()->atEof() &&
        (state_ == State::AwaitingHead || state_ == State::Sending))
        failed(Failure::Reset, "connection closed before a response head");
}

void UpstreamExchange::onWritable(StreamSocket&) {
    ClientHold hold(client_);
    if (client_.clientClosed())
        return;
    if (!request_.body.done() && evbuffer_get_length(upstream()->output()) < BodyRelay::kLowWater)
        client_.clientSocket().resumeReading();
}

void UpstreamExchange::onError(StreamSocket& socket, bool timed_out) {
    ClientHold hold(client_);
    if (client_.clientClosed())
        return;
    const auto& settings = context_.settings();
    switch (state_) {
    case State::Connecting:
        failed(Failure::Connect, timed_out
                                     ? "no connection within " + msText(settings.connect_timeout_ms)
                                     : "connect: " + errorText(socket.lastError(), "failed"));
        return;
    case State::Sending:
    case State::AwaitingHead:
    case State::ReadingBody:
        if (timed_out)
            failed(Failure::Timeout, "timeout after " + msText(settings.upstream_timeout_ms));
        else
            failed(Failure::Reset, errorText(socket.lastError(), "connection reset"));
        return;
    case State::None:
        return;
    }
}

void UpstreamExchange::onConnected(StreamSocket&) {
    ClientHold hold(client_);
    if (client_.clientClosed())
        return;
    state_ = State::Sending;
    sendRequest();
}

void UpstreamExchange::onConnecting(std::unique_ptr<UpstreamConnection> connection) {
    lookup_ = nullptr;
    connection_ = std::move(connection);
    state_ = State::Connecting;
    upstream()->setTimeout(context_.settings().connect_timeout_ms);
}

void UpstreamExchange::onConnectFailed(const std::string& reason) {
    ClientHold hold(client_);
    lookup_ = nullptr;
    failed(Failure::Connect, reason);
}

// ---- the request ---------------------------------------------------------------------

void UpstreamExchange::tryNextUpstream() {
    in_flight_.release();
    PickContext context;
    context.tried = &tried_;
    context.client_ip = request_.client_ip;
    context.hash_value = request_.hash_value;
    context.worker = context_.worker();
    request_.upstream = request_.pool->pick(context);
    if (!request_.upstream) {
        client_.respondError(502,
                             request_.serviceError(tried_.empty() ? "no upstreams available"
                                                                  : "upstream unavailable"),
                             !request_.body.done());
        return;
    }
    Upstream& upstream = *request_.upstream;
    tried_.push_back(&upstream);
    request_.startTry(upstream);
    attempt_ = upstream.noteAttempt(context.now);
    if (attempt_ == Upstream::Attempt::Trial)
        logDebug(upstreamText(request_) + ": fail_timeout over: one trial request");
    in_flight_ = InFlightGuard(request_.upstream);
    upstream.requests.fetch_add(1, std::memory_order_relaxed);

    // An upgrade request gets a connection of its own: it may become a tunnel, and a kept-alive
    // one the server closed meanwhile could not be retried (the request is not replayable).
    auto idle = request_.upgrade.empty() ? context_.pool().takeIdle(upstream) : nullptr;
    if (idle) {
        connection_ = std::move(idle);
        this->upstream()->setHandler(this);
        state_ = State::Sending;
        sendRequest();
        return;
    }
    // onConnecting or onConnectFailed follows, maybe before connect() returns.
    if (auto* lookup = context_.pool().connect(upstream, this))
        lookup_ = lookup;
}

void UpstreamExchange::sendRequest() {
    StreamSocket& socket = *upstream();
    socket.setTimeout(context_.settings().upstream_timeout_ms);
    socket.setInputLimit(kHeadRead);
    const std::string& head = request_.upstream_head;
    if (request_.needs_host) {
        // An HTTP/1.0 client sent no Host, or the service sends the upstream's
        // (upstream_host = "upstream"): the upstream gets its own address (the head ends in
        // an empty line, which the Host line goes before).
        evbuffer_add(socket.output(), head.data(), head.size() - 2);
        std::string host = "Host: " + request_.upstream->name() + "\r\n\r\n";
        socket.send(host.data(), host.size());
    } else {
        socket.send(head.data(), head.size());
    }
    if (request_.body.done()) {
        state_ = State::AwaitingHead;
        return;
    }
    pumpRequestBody();
}

void UpstreamExchange::pumpRequestBody() {
    StreamSocket& client = client_.clientSocket();
    StreamSocket& destination = *upstream();
    BodyRelay::Step step = request_.body.relay(client.input(), destination.output());
    if (step == BodyRelay::Step::Malformed || step == BodyRelay::Step::TooLarge) {
        const bool bad = step == BodyRelay::Step::Malformed;
        if (bad)
            logInfo("client sent a malformed chunked body; upstream request aborted: " +
                    request_.body.error() + " (client " + request_.client_ip + ")");
        if (request_.response_started) {
            client_.abortResponse(/*record=*/false);
            return;
        }
        release(false);
        if (bad)
            client_.respondError(400, jsonError("malformed chunked request body"), true);
        else
            client_.respondError(413, request_.serviceError("request body too large"), true);
        return;
    }
    destination.flush();
    if (request_.body.done()) {
        if (state_ == State::Sending)
            state_ = State::AwaitingHead;
        client.resumeReading();
        return;
    }
    // Backpressure: a slow upstream stops the reading of the client's body.
    if (evbuffer_get_length(destination.output()) > BodyRelay::kHighWater)
        client.pauseReading();
    else
        client.resumeReading();
}

// ---- the response --------------------------------------------------------------------

bool UpstreamExchange::startResponse() {
    StreamSocket& socket = *upstream();
    evbuffer* input = socket.input();
    const auto limit = static_cast<std::size_t>(context_.settings().max_header_bytes);
    std::string_view bytes = headBytes(input, limit);
    if (bytes.empty())
        return false;
    std::size_t head_length = 0;
    HttpParseError error;
    ParseResult parsed =
        parseResponseHead(bytes, limit, request_.head_method, response_, head_length, error);
    // Past the first read: the rest of a head longer than kHeadRead, or a body that is not
    // spliced, is read in full chunks.
    socket.setInputLimit(std::max<std::size_t>(BodyRelay::kHighWater, limit + 4096));
    if (parsed == ParseResult::Incomplete)
        return false;
    if (parsed == ParseResult::Error) {
        failed(Failure::BadResponse, "malformed response head: " + error.message);
        return false;
    }
    if (response_.status == 101) {
        if (request_.upgrade.empty()) {
            failed(Failure::BadResponse, "malformed response: 101 Switching Protocols unasked");
        } else if (!request_.body.done()) {
            // The new protocol would start in the middle of the request body.
            failed(Failure::BadResponse,
                   "101 Switching Protocols before the request body was sent");
        } else {
            switchProtocols(head_length);
        }
        return false;
    }
    if (response_.status < 200) {
        evbuffer_drain(input, head_length);
        return true;
    }

    recordAnswer(response_.status);
    upstream_keep_alive_ = response_.keep_alive;
    std::string_view transfer_encoding;
    switch (response_.framing) {
    case BodyFraming::None:
        client_framing_ = HopFraming::None;
        break;
    case BodyFraming::ContentLength:
        client_framing_ = HopFraming::ContentLength;
        break;
    case BodyFraming::Chunked:
        if (request_.minor_version >= 1) {
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
    response_body_.startResponse(response_.framing, client_framing_, response_.content_length);
    if (client_framing_ == HopFraming::UntilClose || !request_.body.done() ||
        context_.shuttingDown())
        request_.keep_alive = false;
    response_head_.clear();
    appendClientResponseHead({response_, client_framing_, response_body_.remaining(),
                              transfer_encoding, request_.keep_alive, request_.head_method,
                              request_.request_id},
                             response_head_);
    evbuffer_drain(input, head_length);  // response_'s views are invalid from here on
    // The head goes out with the first part of the body, in one write.
    evbuffer_add(client_.clientSocket().output(), response_head_.data(), response_head_.size());
    request_.response_started = true;
    state_ = State::ReadingBody;
    return true;
}

void UpstreamExchange::recordAnswer(int status) {
    Upstream& upstream = *request_.upstream;
    if (upstream.recordSuccess(attempt_))
        logInfo(upstreamText(request_) + " is back (trial request succeeded)");
    upstream.stats.responses[statusClassIndex(status)].add();
    request_.status = status;
    request_.answered(status);
}

void UpstreamExchange::switchProtocols(std::size_t head_length) {
    recordAnswer(101);
    response_head_.clear();
    appendSwitchingProtocolsHead(response_, response_head_);
    insertRequestId(request_.request_id, response_head_);
    evbuffer_drain(upstream()->input(), head_length);  // response_'s views are invalid now
    evbuffer_add(client_.clientSocket().output(), response_head_.data(), response_head_.size());
    request_.response_started = true;
    auto connection = std::move(connection_);
    InFlightGuard in_flight = std::move(in_flight_);
    release(false);  // the exchange is over (a trial is given back); the tunnel has the rest
    client_.switchProtocols(std::move(connection), std::move(in_flight));
}

void UpstreamExchange::pumpResponseBody() {
    StreamSocket& source = *upstream();
    StreamSocket& client = client_.clientSocket();
    evbuffer* input = source.input();
    BodyRelay::Step step = response_body_.relay(input, client.output());
    request_.bytes_sent = response_body_.bytes();
    if (step == BodyRelay::Step::Malformed) {
        failed(Failure::BadResponse, "malformed chunked body: " + response_body_.error());
        return;
    }
    bool done = step == BodyRelay::Step::Done;
    if (response_.framing == BodyFraming::UntilClose) {
        done = source.atEof();
        upstream_keep_alive_ = false;
    } else if (!done && response_body_.remaining() > 0) {
        // The rest of a large Content-Length body goes from socket to socket through a
        // pipe, in the kernel: half the copies of reading it into our memory and writing it
        // out again. The head and whatever came with it go out first, then the pipe.
        if (!pipe_ && client.plain() && response_body_.remaining() >= kSpliceMin) {
            pipe_ = context_.pipes().acquire();  // none to spare: the body is copied
            if (pipe_)
                source.setDirectRead(true);
        }
        if (pipe_) {
            spliceResponseBody();
            return;
        }
    }
    client.flush();
    if (client_.clientClosed() || bodyEnded(done, evbuffer_get_length(input) > 0))
        return;
    // Backpressure: a slow client stops the reading of the upstream's response. While it
    // waits, the upstream is not late: the client's own timeout watches the progress.
    if (evbuffer_get_length(client.output()) > BodyRelay::kHighWater) {
        source.pauseReading();
        source.setTimeout(0);
    }
}

bool UpstreamExchange::bodyEnded(bool done, bool bytes_after_body) {
    if (done) {
        if (bytes_after_body)
            upstream_keep_alive_ = false;  // the framing was wrong: never reuse the connection
        finish();
        return true;
    }
    if (upstream()->atEof()) {
        failed(Failure::Reset, "connection closed before the end of the body");
        return true;
    }
    return false;
}

void UpstreamExchange::spliceResponseBody() {
    // Up to this many pipefuls per turn of the loop, then the other connections' turn.
    constexpr int kRoundsPerTurn = 4;
    // Asked for per splice; the pipe (PipePool::kPipeBytes) takes what it can.
    constexpr std::uint64_t kSpliceAsk = 1 << 20;
    StreamSocket& source = *upstream();
    StreamSocket& client = client_.clientSocket();
    for (int round = 0;; ++round) {
        while (pipe_->bytes > 0) {
            // The head and the body bytes read with it go first. They were held until the
            // pipe was filled, so the client gets them and the rest back to back.
            client.flush();
            if (evbuffer_get_length(client.output()) > 0 || !client.writable()) {
                // A slow client: onWritable goes on. Meanwhile the upstream is not late.
                source.setTimeout(0);
                return;
            }
            long moved = client.spliceOut(pipe_->readFd(), pipe_->bytes);
            if (moved < 0)
                return;  // onError follows from the loop
            pipe_->bytes -= static_cast<std::size_t>(moved);
            response_body_.splicedOut(static_cast<std::uint64_t>(moved));
            request_.bytes_sent = response_body_.bytes();
        }
        const bool done = response_body_.remaining() == 0;
        if (bodyEnded(done, done && !source.drained()))
            return;
        if (!source.readable() || round == kRoundsPerTurn) {
            client.flush();  // nothing is held back while waiting for the upstream
            if (source.readable())
                source.readLater();  // the other connections' turn first
            return;
        }
        long moved =
            source.spliceIn(pipe_->writeFd(), std::min(response_body_.remaining(), kSpliceAsk));
        if (moved < 0)
            return;  // onError follows from the loop
        pipe_->bytes += static_cast<std::size_t>(moved);
        response_body_.splicedIn(static_cast<std::uint64_t>(moved));
    }
}

// ---- the end -------------------------------------------------------------------------

void UpstreamExchange::finish() {
    release(upstream_keep_alive_ && request_.body.done() && !request_.upstream->draining &&
            !upstream()->atEof());
    client_.finishResponse();
}

void UpstreamExchange::release(bool reusable) {
    in_flight_.release();
    if (attempt_ == Upstream::Attempt::Trial) {
        // Every end of the attempt gives the trial back. After an answer or a failure this
        // changes nothing (recordSuccess, recordFailure did it); after any other end (the client
        // went away, a stale kept-alive connection) it keeps the upstream from staying out.
        attempt_ = Upstream::Attempt::InService;
        request_.upstream->endTrial();
    }
    state_ = State::None;
    if (pipe_) {
        pipe_.reset();
        upstream()->setDirectRead(false);
    }
    if (lookup_) {
        UpstreamPool::cancelLookup(lookup_);
        lookup_ = nullptr;
    }
    if (!connection_)
        return;
    if (reusable)
        context_.pool().release(std::move(connection_));
    else
        connection_.reset();
}

void UpstreamExchange::failed(Failure failure, const std::string& reason) {
    const bool stale_keep_alive = connection_ && connection_->reused && failure == Failure::Reset &&
                                  !request_.response_started;
    release(false);
    Upstream& upstream = *request_.upstream;
    upstream.stats.responses[0].add();
    // Lines about one request are debug: a dead upstream under load would otherwise log one
    // per request. What the operator needs at warn/info is each change of passive health,
    // logged by the one request that made it (SPEC §13).
    if (request_.response_started) {
        // Part of the answer is out: the client must not mistake it for a whole one.
        logDebug(upstreamText(request_) + " failed mid-response (" + reason +
                 "); closing the client connection");
        client_.abortResponse(/*record=*/true);
        return;
    }
    const auto& settings = context_.settings();
    // A reused keep-alive connection that breaks before answering was most likely closed
    // by the server while idle: not the upstream's failure.
    if (!stale_keep_alive)
        logPassiveChange(
            upstream.recordFailure(Clock::now(), settings.max_fails,
                                   std::chrono::milliseconds(settings.fail_timeout_ms)),
            reason);
    const bool close = !request_.body.done();
    if (failure == Failure::Timeout || failure == Failure::BadResponse) {
        logDebug(upstreamText(request_) + " failed: " + reason + "; not retried");
        if (failure == Failure::Timeout)
            client_.respondError(504, request_.serviceError("upstream timeout"), close);
        else
            client_.respondError(502, request_.serviceError("upstream unavailable"), close);
        return;
    }
    if (stale_keep_alive && request_.replayable) {
        logDebug(upstreamText(request_) + ": kept-alive connection broke (" + reason +
                 "); sending again on a fresh one");
        tried_.pop_back();  // the same upstream may be picked again, on a fresh connection
        tryNextUpstream();
        return;
    }
    // Connect failures never sent a byte; a reset may retry only what can be sent again.
    bool may_retry = failure == Failure::Connect || request_.replayable;
    if (may_retry && static_cast<std::int64_t>(tried_.size()) <= settings.retries) {
        logDebug("service " + request_.pool->name() + ": retrying on another upstream after " +
                 upstream.name() + " failed: " + reason);
        tryNextUpstream();
        return;
    }
    logDebug(upstreamText(request_) + " failed: " + reason +
             (may_retry ? "; no retry left" : "; not retried (the request cannot be sent again)"));
    client_.respondError(502, request_.serviceError("upstream unavailable"), close);
}

void UpstreamExchange::logPassiveChange(const Upstream::FailureRecord& record,
                                        const std::string& reason) const {
    const std::string out_for = msText(context_.settings().fail_timeout_ms);
    switch (record.change) {
    case Upstream::FailureChange::None:
        return;
    case Upstream::FailureChange::TakenOut:
        logWarn(upstreamText(request_) + " taken out for " + out_for + " after " +
                std::to_string(record.failures) +
                (record.failures == 1 ? " failure" : " failures in a row") + " (last: " + reason +
                ")");
        return;
    case Upstream::FailureChange::TrialFailed:
        logWarn(upstreamText(request_) + " trial request failed (" + reason +
                "): out for another " + out_for);
        return;
    }
}

}  // namespace switchboard
