// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>

#include "switchboard/balance/upstream.h"
#include "switchboard/base/stats.h"
#include "switchboard/net/stream_socket.h"
#include "switchboard/proxy/upstream_pool.h"

namespace switchboard {

class ProxyContext;

// What a tunnel needs of the client connection it serves (ClientConnection).
class TunnelClient {
  public:
    // Around every callback of the upstream socket: the client side, and the tunnel it owns,
    // outlive it even when the tunnel closes inside.
    virtual void enterCallback() = 0;
    virtual void leaveCallback() = 0;
    // The tunnel is over (both sides done, or idle too long): the connection logs it and
    // closes. Neither socket is touched by the tunnel after this call.
    virtual void tunnelClosed() = 0;

  protected:
    ~TunnelClient() = default;
};

// An upgraded connection (SPEC §10: WebSocket, after a 101 Switching Protocols): bytes copied
// both ways between the client's socket and the upstream's, no HTTP any more.
//
// Each direction has the bodies' backpressure (BodyRelay::kHighWater / kLowWater): a side
// stops being read while the other side's output holds more than the high-water mark and
// resumes below the low-water mark, so a slow reader bounds memory instead of growing it.
// Bytes go through our buffers, never through a pipe: splicing both ways at once would need
// two pipes and the direct-read dance of body splicing on each socket, for traffic that is
// mostly small frames.
//
// Idle means no byte moved either way for tunnel_timeout_ms: each move restarts both
// sockets' timers, so a tunnel busy in one direction is not idle in the other. When one side
// closes (or fails), what was read from it is written to the other, which is then closed.
//
// The tunnel holds the upstream connection, the request's in-flight count on the upstream
// and its share of the open-tunnels gauge until it is destroyed.
class TunnelRelay final : public StreamSocketHandler {
  public:
    TunnelRelay(ProxyContext& context, TunnelClient& client, StreamSocket& client_socket,
                std::unique_ptr<UpstreamConnection> upstream, InFlightGuard in_flight);
    ~TunnelRelay() override;
    TunnelRelay(const TunnelRelay&) = delete;
    TunnelRelay& operator=(const TunnelRelay&) = delete;

    // Takes over both sockets: bytes that came with the 101 (either way) go on at once.
    void start();

    // The client's socket events, passed on by its handler.
    void clientReadable() { pump(from_client_); }
    void clientWritable() { writable(from_upstream_); }
    void clientFailed(bool timed_out) { failed(from_client_, timed_out); }

    // The upstream socket's events (StreamSocketHandler).
    void onReadable(StreamSocket& socket) override;
    void onWritable(StreamSocket& socket) override;
    void onError(StreamSocket& socket, bool timed_out) override;

    // Bytes written to the client since the 101 head (the access log's bytes sent).
    std::uint64_t bytesToClient() const { return from_upstream_.bytes; }

  private:
    // One direction: what is read from `source` is written to `sink`.
    struct Direction {
        StreamSocket& source;
        StreamSocket& sink;
        bool paused = false;  // source not read: sink's output above the high-water mark
        std::uint64_t bytes = 0;
    };

    // Moves what the source read to the sink; pauses the source on a full sink; starts the
    // close when the source is at its end.
    void pump(Direction& direction);
    // The sink's output went out: resume its source below the low-water mark, or end the
    // close once all of it is out.
    void writable(Direction& direction);
    void failed(Direction& direction, bool timed_out);
    // `direction`'s source is done: its last bytes go out, then the tunnel ends.
    void sourceEnded(Direction& direction);
    // A byte moved: both sides' idle timers start again.
    void noteProgress();
    void close();

    ProxyContext& context_;
    TunnelClient& client_;
    std::unique_ptr<UpstreamConnection> upstream_;
    InFlightGuard in_flight_;
    GaugeShare open_;
    std::int64_t timeout_ms_;
    Direction from_client_;
    Direction from_upstream_;
    // The source whose end is being written out to the other side; nullptr while open.
    Direction* closing_ = nullptr;
    bool closed_ = false;
};

}  // namespace switchboard
