// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/tunnel_relay.h"

#include "switchboard/base/log.h"
#include "switchboard/proxy/body_relay.h"
#include "switchboard/proxy/proxy_context.h"

namespace switchboard {

namespace {

// Keeps the client side (and so this tunnel) alive through an upstream callback.
class ClientHold {
  public:
    explicit ClientHold(TunnelClient& client) : client_(client) { client_.enterCallback(); }
    ~ClientHold() { client_.leaveCallback(); }
    ClientHold(const ClientHold&) = delete;
    ClientHold& operator=(const ClientHold&) = delete;

  private:
    TunnelClient& client_;
};

}  // namespace

TunnelRelay::TunnelRelay(ProxyContext& context, TunnelClient& client, StreamSocket& client_socket,
                         std::unique_ptr<UpstreamConnection> upstream, InFlightGuard in_flight)
    : context_(context), client_(client), upstream_(std::move(upstream)),
      in_flight_(std::move(in_flight)), open_(context.stats().tunnels_open),
      timeout_ms_(context.settings().tunnel_timeout_ms),
      from_client_{client_socket, *upstream_->socket}, from_upstream_{*upstream_->socket,
                                                                      client_socket} {
    context_.stats().tunnels_total.add();
}

TunnelRelay::~TunnelRelay() = default;

void TunnelRelay::start() {
    StreamSocket& upstream = *upstream_->socket;
    upstream.setHandler(this);
    for (StreamSocket* socket : {&from_client_.source, &upstream}) {
        socket->setTimeout(timeout_ms_);
        // Read in pieces no larger than what a sink may hold before its source pauses.
        socket->setInputLimit(BodyRelay::kHighWater);
    }
    // The 101 head waits in the client's output, and each side may have sent more behind
    // its handshake (a first frame): all of it goes on now, client side first.
    from_upstream_.sink.flush();
    pump(from_client_);
    if (closed_ || closing_)
        return;
    pump(from_upstream_);
    if (closed_ || closing_)
        return;
    // Bytes still in the kernel bring no new edge: read them from the loop.
    from_client_.source.resumeReading();
    upstream.resumeReading();
}

// ---- upstream socket events ----------------------------------------------------------

void TunnelRelay::onReadable(StreamSocket&) {
    ClientHold hold(client_);
    pump(from_upstream_);
}

void TunnelRelay::onWritable(StreamSocket&) {
    ClientHold hold(client_);
    writable(from_client_);
}

void TunnelRelay::onError(StreamSocket&, bool timed_out) {
    ClientHold hold(client_);
    failed(from_upstream_, timed_out);
}

// ---- both directions -----------------------------------------------------------------

void TunnelRelay::pump(Direction& direction) {
    if (closed_ || closing_)
        return;
    evbuffer* input = direction.source.input();
    const std::size_t length = evbuffer_get_length(input);
    if (length > 0) {
        direction.bytes += length;
        direction.sink.sendFrom(input, length);  // no copy: the chain moves
        noteProgress();
    }
    if (direction.source.atEof()) {
        sourceEnded(direction);
        return;
    }
    // Backpressure: a slow reader on the sink side stops the reading of the source.
    if (evbuffer_get_length(direction.sink.output()) > BodyRelay::kHighWater) {
        direction.paused = true;
        direction.source.pauseReading();
        return;
    }
}

void TunnelRelay::writable(Direction& direction) {
    if (closed_)
        return;
    const std::size_t queued = evbuffer_get_length(direction.sink.output());
    noteProgress();
    if (closing_ == &direction) {
        if (queued == 0)
            close();
        return;
    }
    if (closing_)
        return;
    if (direction.paused && queued < BodyRelay::kLowWater) {
        direction.paused = false;
        direction.source.resumeReading();
    }
}

void TunnelRelay::failed(Direction& direction, bool timed_out) {
    if (closed_)
        return;
    if (timed_out) {
        logDebug("tunnel idle for " + std::to_string(timeout_ms_) + " ms: closed");
        close();
        return;
    }
    // The failed socket is the source of `direction` and the sink of the other one.
    if (closing_ && closing_ != &direction) {
        close();  // its last bytes can no longer go out
        return;
    }
    if (!closing_)
        sourceEnded(direction);
}

void TunnelRelay::sourceEnded(Direction& direction) {
    const std::size_t left = evbuffer_get_length(direction.source.input());
    if (left > 0) {
        direction.bytes += left;
        direction.sink.sendFrom(direction.source.input(), left);
    }
    if (evbuffer_get_length(direction.sink.output()) == 0) {
        close();
        return;
    }
    // The rest goes out as the sink takes it (writable), then the tunnel ends.
    closing_ = &direction;
    from_client_.source.pauseReading();
    from_upstream_.source.pauseReading();
}

void TunnelRelay::noteProgress() {
    // The same timeout again only notes the time (StreamSocket::setTimeout): cheap per move.
    from_client_.source.setTimeout(timeout_ms_);
    from_upstream_.source.setTimeout(timeout_ms_);
}

void TunnelRelay::close() {
    closed_ = true;
    client_.tunnelClosed();
}

}  // namespace switchboard
