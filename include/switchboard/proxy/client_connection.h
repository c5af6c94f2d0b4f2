// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "switchboard/http/http_parser.h"
#include "switchboard/net/stream_socket.h"
#include "switchboard/proxy/proxied_request.h"
#include "switchboard/proxy/tunnel_relay.h"
#include "switchboard/proxy/upstream_exchange.h"

namespace switchboard {

class ProxyContext;

// The TLS side of an accepted connection: its session and the certificates it was made with.
// Empty for a plain listener's connection.
struct TlsSession {
    SslPtr ssl;
    std::shared_ptr<const TlsServerContext> context;
};

// One client connection on the proxy port: it reads and routes the client's requests,
// answers the ones it refuses itself, and keeps the connection alive between them. Each
// routed request is served by its UpstreamExchange. Requests on a connection are served one
// at a time, in order (pipelined requests wait in the input buffer). It deletes itself when
// the connection ends.
//
// Memory is bounded per connection: the client's input stops being read above a limit, and
// each direction of a body stops reading from its source while the destination's output
// buffer is above BodyRelay::kHighWater, resuming below kLowWater.
//
// After a 101 to an upgrade request the connection is a tunnel (TunnelRelay) until it closes;
// the client's socket events then go to the tunnel.
class ClientConnection final : public StreamSocketHandler,
                               private ExchangeClient,
                               private TunnelClient {
  public:
    ClientConnection(ProxyContext& context, evutil_socket_t fd, std::string client_ip,
                     TlsSession tls = {});
    ~ClientConnection() override;
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    void start();
    // Graceful shutdown: closes now if idle between requests, else after this response.
    void shutdownWhenIdle();

    // StreamSocketHandler: events of the client's socket.
    void onConnected(StreamSocket& socket) override;
    void onReadable(StreamSocket& socket) override;
    void onWritable(StreamSocket& socket) override;
    void onError(StreamSocket& socket, bool timed_out) override;

  private:
    enum class State {
        ReadingHead,  // waiting for (the rest of) a request head
        Forwarding,   // a request is being served
        Tunneling,    // switched protocols: tunnel_ copies bytes both ways
        Closing,      // the last bytes are being flushed; then the connection closes
    };
    struct CallbackScope;

    void headDeadlinePassed(evutil_socket_t, short);
    void clientGone(bool timed_out);
    void serveInput();
    bool startNextRequest();
    void waitForNextRequest();
    void closeNow();
    void closeAfterFlush();
    void recordRequest(int status);
    // Sends response_head_ (switchboard's own answer, `body_bytes` of it body), logs it, and
    // closes or waits for the next request.
    void sendOwnAnswer(int status, std::size_t body_bytes, bool keep);

    // ExchangeClient.
    StreamSocket& clientSocket() override { return *client_; }
    bool clientClosed() const override { return closed_; }
    void enterCallback() override { ++callback_depth_; }
    void leaveCallback() override;
    void respondError(int status, const std::string& body, bool close) override;
    void finishResponse() override;
    void abortResponse(bool record) override;
    void switchProtocols(std::unique_ptr<UpstreamConnection> upstream,
                         InFlightGuard in_flight) override;

    // TunnelClient (enterCallback and leaveCallback are ExchangeClient's).
    void tunnelClosed() override;

    ProxyContext& context_;
    std::unique_ptr<StreamSocket> client_;
    State state_ = State::ReadingHead;
    bool closed_ = false;
    int callback_depth_ = 0;
    bool serving_input_ = false;
    // A request head must be complete in client_timeout_ms; before it, a TLS handshake in
    // tls_handshake_timeout_ms.
    EventPtr head_deadline_;
    bool head_deadline_armed_ = false;
    RequestHead head_;           // parsed; its views point into the input until drained
    std::string response_head_;  // switchboard's own answers
    ProxiedRequest request_;
    UpstreamExchange exchange_{context_, *this, request_};  // after request_, which it uses
    std::unique_ptr<TunnelRelay> tunnel_;  // after client_: destroyed first, it borrows it
};

}  // namespace switchboard
