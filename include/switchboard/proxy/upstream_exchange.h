// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/http/http_parser.h"
#include "switchboard/net/pipe_pool.h"
#include "switchboard/proxy/body_relay.h"
#include "switchboard/proxy/proxied_request.h"
#include "switchboard/proxy/upstream_pool.h"

namespace switchboard {

class ProxyContext;

// What an exchange needs of the client side it serves (ClientConnection). Each call ends
// the exchange's part in the request except the first four.
class ExchangeClient {
  public:
    virtual StreamSocket& clientSocket() = 0;
    virtual bool clientClosed() const = 0;
    // Around every callback of the upstream socket: the client side, and the exchange it
    // owns, outlive it even when the connection closes inside.
    virtual void enterCallback() = 0;
    virtual void leaveCallback() = 0;
    // No byte of an answer went out: the client gets switchboard's own.
    virtual void respondError(int status, const std::string& body, bool close) = 0;
    // The answer went out whole: logged, then the next request or the close.
    virtual void finishResponse() = 0;
    // The request ends without a whole answer: the connection closes (logged when `record`).
    virtual void abortResponse(bool record) = 0;
    // The upstream switched protocols (101 to an upgrade request), whose head is in the
    // client's output: from now on the two connections are a tunnel, which takes the upstream
    // connection and the request's in-flight count.
    virtual void switchProtocols(std::unique_ptr<UpstreamConnection> upstream,
                                 InFlightGuard in_flight) = 0;

  protected:
    ~ExchangeClient() = default;
};

// The upstream side of one request: picks an upstream, connects (or takes an idle keep-alive
// connection; never for an upgrade request), sends the head and the body, reads the response
// head, and retries on another upstream when that is safe. The response body is relayed to the
// client (BodyRelay, or splice for a large Content-Length body). It is the handler of the upstream
// socket; it holds the upstream's in-flight count while an attempt is under way.
class UpstreamExchange final : public UpstreamConnectHandler {
  public:
    UpstreamExchange(ProxyContext& context, ExchangeClient& client, ProxiedRequest& request);
    ~UpstreamExchange() override;
    UpstreamExchange(const UpstreamExchange&) = delete;
    UpstreamExchange& operator=(const UpstreamExchange&) = delete;

    // A response head is looked for in the first bytes only, so that a large body behind it
    // is still in the kernel, to be spliced.
    static constexpr std::size_t kHeadRead = 4 * 1024;
    // Content-Length bodies with at least this much left after the head pass through a pipe
    // (splice), never copied into our memory.
    static constexpr std::uint64_t kSpliceMin = 16 * 1024;

    // The request is routed (request.pool) and its head is ready: the first attempt.
    void start();
    // The client went away: the upstream connection closes (the rest of its answer would
    // still be on the wire). False when no attempt was under way.
    bool abandon();
    // The client's socket: more request body, or room for more response body.
    void clientReadable();
    void clientWritable();

    // The upstream socket's events (StreamSocketHandler, UpstreamConnectHandler).
    void onReadable(StreamSocket& socket) override;
    void onWritable(StreamSocket& socket) override;
    void onError(StreamSocket& socket, bool timed_out) override;
    void onConnected(StreamSocket& socket) override;
    void onConnecting(std::unique_ptr<UpstreamConnection> connection) override;
    void onConnectFailed(const std::string& reason) override;

  private:
    enum class State { None, Connecting, Sending, AwaitingHead, ReadingBody };
    enum class Failure { Connect, Reset, Timeout, BadResponse };

    void tryNextUpstream();
    void sendRequest();
    void pumpRequestBody();
    // Parses one response head. True when one was consumed (final or interim); false when
    // more bytes are needed or the exchange ended.
    bool startResponse();
    // The answer `status` came from the upstream: its passive health and counts.
    void recordAnswer(int status);
    // A 101 to an upgrade request, whose head is `head_length` bytes of the input: the client
    // gets it, and the connections become a tunnel (ExchangeClient::switchProtocols).
    void switchProtocols(std::size_t head_length);
    void pumpResponseBody();
    // After body bytes moved: true when the exchange ended here, complete (`done`) or cut
    // short by the upstream's close.
    bool bodyEnded(bool done, bool bytes_after_body);
    void spliceResponseBody();
    void finish();
    // The attempt failed for `reason` (what the kernel or the parser said, for the log): the
    // next upstream, or the client's error answer.
    void failed(Failure failure, const std::string& reason);
    // The warn line for a change of passive health that this request's failure made, if any.
    void logPassiveChange(const Upstream::FailureRecord& record, const std::string& reason) const;
    void release(bool reusable);

    StreamSocket* upstream() const { return connection_ ? connection_->socket.get() : nullptr; }

    ProxyContext& context_;
    ExchangeClient& client_;
    ProxiedRequest& request_;
    State state_ = State::None;
    std::vector<const Upstream*> tried_;
    InFlightGuard in_flight_;  // while an attempt is under way
    std::unique_ptr<UpstreamConnection> connection_;
    evdns_getaddrinfo_request* lookup_ = nullptr;
    ResponseHead response_;
    HopFraming client_framing_ = HopFraming::None;
    bool upstream_keep_alive_ = false;
    Upstream::Attempt attempt_ = Upstream::Attempt::InService;  // this attempt's, see noteAttempt
    BodyRelay response_body_;                                   // upstream -> client
    std::string response_head_;                                 // as the client gets it
    std::string transfer_encoding_;  // the upstream's codings, passed on with its chunks
    PipeLease pipe_;                 // while the body is spliced
};

}  // namespace switchboard
