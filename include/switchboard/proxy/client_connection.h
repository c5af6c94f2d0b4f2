#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/http/http_parser.h"
#include "switchboard/http/message_rewrite.h"
#include "switchboard/net/pipe_pool.h"
#include "switchboard/runtime/registry.h"
#include "switchboard/net/stream_socket.h"
#include "switchboard/proxy/upstream_pool.h"

namespace switchboard {

class Proxy;

// One client connection on the proxy port, and the request it is serving. Requests on a
// connection are served one at a time, in order (pipelined requests wait in the input
// buffer). It deletes itself when the connection ends.
//
// Memory is bounded per connection: the client's input stops being read above a limit, and
// each direction of a body stops reading from its source while the destination's output
// buffer is above kHighWater, resuming below kLowWater.
class ClientConnection final : public UpstreamConnectHandler {
  public:
    ClientConnection(Proxy& proxy, evutil_socket_t fd, std::string client_ip);
    ~ClientConnection() override;
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    void start();
    // Graceful shutdown: closes now if idle between requests, else after this response.
    void shutdownWhenIdle();

    static constexpr std::size_t kHighWater = 256 * 1024;
    static constexpr std::size_t kLowWater = 64 * 1024;
    // A response head is looked for in the first bytes only, so that a large body behind it
    // is still in the kernel, to be spliced.
    static constexpr std::size_t kHeadRead = 4 * 1024;
    // Content-Length bodies with at least this much left after the head pass through a pipe
    // (splice), never copied into our memory.
    static constexpr std::uint64_t kSpliceMin = 16 * 1024;

    // StreamSocketHandler and UpstreamConnectHandler: events of both sockets.
    void onReadable(StreamSocket& socket) override;
    void onWritable(StreamSocket& socket) override;
    void onError(StreamSocket& socket, bool timed_out) override;
    void onConnected(StreamSocket& socket) override;
    void onConnecting(std::unique_ptr<UpstreamConnection> connection) override;
    void onConnectFailed(const std::string& reason) override;

  private:
    enum class State {
        ReadingHead,  // waiting for (the rest of) a request head
        Forwarding,   // a request is being served
        Closing,      // the last bytes are being flushed; then the connection closes
    };
    enum class UpstreamState { None, Connecting, Sending, AwaitingHead, ReadingBody };
    enum class Failure { Connect, Reset, Timeout, BadResponse };
    struct CallbackScope;

    // Client side.
    static void onHeadDeadline(evutil_socket_t, short, void* arg);
    void clientReadable();
    void clientGone(bool timed_out);
    void serveInput();
    bool startNextRequest();
    void waitForNextRequest();
    void respondError(int status, const std::string& body, bool close);
    void closeNow();
    void closeAfterFlush();

    // Upstream side.
    void upstreamReadable();
    void upstreamBroke(bool timed_out);
    void tryNextUpstream();
    void sendRequest();
    void pumpRequestBody();
    void readResponse();
    bool startResponse();
    void pumpResponseBody();
    // After body bytes moved: true when the exchange ended here, complete (`done`) or cut
    // short by the upstream's close.
    bool bodyEnded(bool done, bool bytes_after_body);
    bool startSplicing();
    void spliceResponseBody();
    std::size_t upstreamInputLimit() const;
    void finishResponse();
    void upstreamFailed(Failure failure);
    void releaseUpstream(bool reusable);
    void recordRequest(int status);

    StreamSocket* upstream() const {
        return upstream_connection_ ? upstream_connection_->socket.get() : nullptr;
    }

    Proxy& proxy_;
    std::unique_ptr<StreamSocket> client_;
    std::string client_ip_;
    State state_ = State::ReadingHead;
    bool closed_ = false;
    int callback_depth_ = 0;
    bool serving_input_ = false;
    EventPtr head_deadline_;  // a request head must be complete in client_timeout_ms
    bool head_deadline_armed_ = false;
    bool keep_alive_ = true;  // the client may send another request after this one

    // The request being served. Strings are reused from request to request.
    RequestHead head_;
    std::string method_;
    std::string target_;
    int minor_version_ = 1;
    bool is_head_request_ = false;
    bool replayable_ = false;  // may be sent again after an upstream broke off
    HopFraming request_framing_ = HopFraming::None;
    std::uint64_t request_remaining_ = 0;  // Content-Length bytes still to forward
    std::uint64_t request_body_bytes_ = 0;
    bool request_body_done_ = true;
    ChunkedDecoder request_decoder_;
    std::vector<std::string_view> payload_;
    std::string upstream_head_;  // the request head as the upstream gets it
    bool needs_host_ = false;    // ...but for a Host line, added once the upstream is known
    std::string hash_value_;
    Clock::time_point started_;

    // The upstream serving it.
    std::shared_ptr<ServicePool> pool_;
    std::shared_ptr<Upstream> upstream_;
    std::vector<const Upstream*> tried_;
    std::unique_ptr<UpstreamConnection> upstream_connection_;
    evdns_getaddrinfo_request* lookup_ = nullptr;
    UpstreamState upstream_state_ = UpstreamState::None;
    ResponseHead response_;
    BodyFraming response_framing_ = BodyFraming::None;
    HopFraming client_framing_ = HopFraming::None;
    bool upstream_keep_alive_ = false;
    std::uint64_t response_remaining_ = 0;
    ChunkedDecoder response_decoder_;
    bool response_started_ = false;
    int status_ = 0;
    std::uint64_t bytes_sent_ = 0;
    std::string response_head_;
    std::string transfer_encoding_;  // the upstream's codings, passed on with its chunks
    PipeLease pipe_;                 // while the body is spliced
};

} // namespace switchboard
