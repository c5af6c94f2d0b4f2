// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/libevent.h"
#include "switchboard/base/result.h"
#include "switchboard/cluster/etcd_messages.h"

namespace switchboard::etcd {

// etcd's JSON gateway over HTTP/1.1, from the main loop and never blocking it (SPEC §12). Each
// call has a connection of its own (admin changes are few; etcd is near), and so has a watch.
// Endpoints are tried in turn: the one that answered last is asked first, and one that does
// not answer (refused, timed out, HTTP 5xx) passes the call on to the next.
class Client {
  public:
    // `endpoints`: "http://host:port" each, checked already (checkEtcdEndpoint). `timeout`
    // bounds each attempt at one endpoint (connect, send, and each wait for bytes).
    Client(event_base* base, evdns_base* dns, const std::vector<std::string>& endpoints,
           std::chrono::milliseconds timeout);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // The body of a 200 answer; Invalid with etcd's message for another answer (a request
    // etcd refused, which another endpoint would refuse too); Unavailable naming the last
    // endpoint's problem when no endpoint answered.
    using Answer = std::function<void(Result<std::string>)>;
    // POSTs `body` to `path` ("/v3/kv/txn"). `answer` is called once, from the loop, unless the
    // Client is destroyed first.
    void post(const std::string& path, std::string body, Answer answer);

    // The endpoint asked first now ("http://127.0.0.1:2379").
    const std::string& endpoint() const { return endpoints_[current_].url; }
    // Moves on to the next endpoint: a broken watch is re-opened on the next one.
    void nextEndpoint();

    class Watch;
    // Opens a watch stream at endpoint(): `body` is a watchRequest. `on_message` gets each
    // JSON object of the stream as it arrives; `on_end`, once, why the stream ended (etcd went
    // away, an HTTP error, a broken stream). Destroying the Watch closes it without calling
    // either; it must not be destroyed from inside its own callbacks. Null when not even a
    // connection could be made (the caller tries again as after on_end).
    std::unique_ptr<Watch> watch(std::string body, std::function<void(std::string)> on_message,
                                 std::function<void(std::string)> on_end);

  private:
    struct Endpoint {
        std::string url;
        std::string host;
        std::uint16_t port = 0;
    };
    struct Call;

    void attempt(Call& call);
    void finish(Call& call, Result<std::string> outcome);
    // Frees `connection` from the loop later: it may be the one calling back now.
    void retire(EvhttpConnectionPtr connection);
    void reap(evutil_socket_t, short);

    event_base* base_;
    evdns_base* dns_;
    std::chrono::milliseconds timeout_;
    std::vector<Endpoint> endpoints_;
    std::size_t current_ = 0;
    std::list<std::unique_ptr<Call>> calls_;  // in flight
    std::vector<EvhttpConnectionPtr> retired_;
    EventPtr reaper_;  // frees retired_ from the loop
};

class Client::Watch {
  public:
    ~Watch();
    // No callback from here on; safe from inside one (the connection is freed with the Watch).
    void stop() { ended_ = true; }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

  private:
    friend class Client;
    Watch(std::function<void(std::string)> on_message, std::function<void(std::string)> on_end)
        : on_message_(std::move(on_message)), on_end_(std::move(on_end)) {}
    void onChunk(evhttp_request* request);
    void onDone(evhttp_request* request);
    void onError(evhttp_request_error error);
    void onDeadline(evutil_socket_t, short);
    void end(std::string why);

    std::function<void(std::string)> on_message_;
    std::function<void(std::string)> on_end_;
    EvhttpConnectionPtr connection_;
    EventPtr deadline_;  // for the first message
    std::chrono::milliseconds timeout_{0};
    JsonStreamSplitter splitter_;
    std::string endpoint_;
    std::string error_body_;  // the body of an answer other than 200, for the reason
    int last_error_ = -1;
    bool ended_ = false;
};

}  // namespace switchboard::etcd
