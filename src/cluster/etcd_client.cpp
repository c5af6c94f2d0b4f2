// SPDX-License-Identifier: Apache-2.0
#include "switchboard/cluster/etcd_client.h"

#include <algorithm>

#include "switchboard/base/c_callback.h"
#include "switchboard/net/net_address.h"

namespace switchboard::etcd {

namespace {

constexpr std::string_view kScheme = "http://";

// A watch may stay silent for as long as nothing changes: its connection waits for bytes far
// longer than a short call (a stopped etcd still ends it at once, with the connection).
constexpr std::chrono::hours kWatchIdle{24};

std::string bodyOf(evhttp_request* request) {
    evbuffer* input = evhttp_request_get_input_buffer(request);
    std::string body(evbuffer_get_length(input), '\0');
    evbuffer_remove(input, body.data(), body.size());
    return body;
}

void addHeaders(evhttp_request* request, const std::string& host, const std::string& body) {
    evkeyvalq* headers = evhttp_request_get_output_headers(request);
    evhttp_add_header(headers, "Host", host.c_str());
    evhttp_add_header(headers, "Content-Type", "application/json");
    evhttp_add_header(headers, "User-Agent", "switchboard");
    evbuffer_add(evhttp_request_get_output_buffer(request), body.data(), body.size());
}

}  // namespace

// One POST in flight: which endpoints it has tried, and who gets the answer.
struct Client::Call {
    Client* client;
    std::string path;
    std::string body;
    Answer answer;
    std::size_t endpoint = 0;  // the one asked now
    std::size_t tried = 0;     // endpoints asked so far
    EvhttpConnectionPtr connection;
    int last_error = -1;
    std::string last_problem;

    void onDone(evhttp_request* request) {
        int status = request ? evhttp_request_get_response_code(request) : 0;
        const std::string& url = client->endpoints_[endpoint].url;
        if (status == 200)
            return client->finish(*this, bodyOf(request));
        if (status >= 400 && status < 500)
            return client->finish(*this, invalid("etcd at " + url + " refused the request: HTTP " +
                                                 std::to_string(status) + ": " +
                                                 errorText(bodyOf(request))));
        last_problem =
            url + ": " +
            (status == 0 ? std::string(describeRequestError(last_error))
                         : "HTTP " + std::to_string(status) + ": " + errorText(bodyOf(request)));
        client->attempt(*this);
    }
    void onError(evhttp_request_error error) { last_error = error; }
};

Client::Client(event_base* base, evdns_base* dns, const std::vector<std::string>& endpoints,
               std::chrono::milliseconds timeout)
    : base_(base), dns_(dns), timeout_(timeout),
      reaper_(evtimer_new(base, CCallback<&Client::reap>::call, this)) {
    for (const auto& url : endpoints) {
        std::string_view address(url);
        address.remove_prefix(std::min(address.size(), kScheme.size()));
        if (!address.empty() && address.back() == '/')
            address.remove_suffix(1);
        auto parsed = parseHostPort(address);
        Endpoint endpoint;
        endpoint.url = url;
        if (parsed) {
            endpoint.host = parsed->host;
            endpoint.port = parsed->port;
        }
        endpoints_.push_back(std::move(endpoint));
    }
    if (endpoints_.empty())
        endpoints_.push_back(Endpoint{"(none)", "", 0});
}

// Freeing a connection frees its request without calling it back.
Client::~Client() = default;

void Client::nextEndpoint() {
    current_ = (current_ + 1) % endpoints_.size();
}

void Client::post(const std::string& path, std::string body, Answer answer) {
    auto call = std::make_unique<Call>();
    call->client = this;
    call->path = path;
    call->body = std::move(body);
    call->answer = std::move(answer);
    call->endpoint = current_;
    calls_.push_back(std::move(call));
    attempt(*calls_.back());
}

void Client::attempt(Call& call) {
    // A connection per attempt: a call never waits behind another, and one that failed never
    // holds up the next.
    while (call.tried < endpoints_.size()) {
        if (call.tried > 0)
            call.endpoint = (call.endpoint + 1) % endpoints_.size();
        ++call.tried;
        retire(std::move(call.connection));  // it may be the one calling back now
        Endpoint& endpoint = endpoints_[call.endpoint];
        if (endpoint.port != 0)
            call.connection.reset(
                evhttp_connection_base_new(base_, dns_, endpoint.host.c_str(), endpoint.port));
        if (!call.connection) {
            call.last_problem = endpoint.url + ": cannot create a connection";
            continue;
        }
        timeval timeout = toTimeval(timeout_);
        evhttp_connection_set_timeout_tv(call.connection.get(), &timeout);
        evhttp_connection_set_retries(call.connection.get(), 0);
        evhttp_request* request = evhttp_request_new(CCallback<&Call::onDone>::call, &call);
        evhttp_request_set_error_cb(request, CCallback<&Call::onError>::call);
        addHeaders(request, endpoint.host, call.body);
        if (evhttp_make_request(call.connection.get(), request, EVHTTP_REQ_POST,
                                call.path.c_str()) == 0)
            return;
        call.last_problem = endpoint.url + ": cannot send the request";  // evhttp freed it
    }
    finish(call, unavailable("cluster store unavailable", call.last_problem));
}

void Client::finish(Call& call, Result<std::string> outcome) {
    if (outcome)
        current_ = call.endpoint;  // it answered: ask it first next time
    Answer answer = std::move(call.answer);
    retire(std::move(call.connection));
    calls_.remove_if([&](const auto& held) { return held.get() == &call; });
    answer(std::move(outcome));
}

void Client::retire(EvhttpConnectionPtr connection) {
    if (!connection)
        return;
    retired_.push_back(std::move(connection));
    timeval now{0, 0};
    evtimer_add(reaper_.get(), &now);
}

void Client::reap(evutil_socket_t, short) {
    retired_.clear();
}

std::unique_ptr<Client::Watch> Client::watch(std::string body,
                                             std::function<void(std::string)> on_message,
                                             std::function<void(std::string)> on_end) {
    std::unique_ptr<Watch> watch(new Watch(std::move(on_message), std::move(on_end)));
    Endpoint& endpoint = endpoints_[current_];
    watch->endpoint_ = endpoint.url;
    if (endpoint.port != 0)
        watch->connection_.reset(
            evhttp_connection_base_new(base_, dns_, endpoint.host.c_str(), endpoint.port));
    if (!watch->connection_)
        return nullptr;
    timeval idle = toTimeval(std::chrono::duration_cast<std::chrono::milliseconds>(kWatchIdle));
    evhttp_connection_set_timeout_tv(watch->connection_.get(), &idle);
    evhttp_connection_set_retries(watch->connection_.get(), 0);
    // libevent 2.1 has no connect timeout of its own: until the first message, `timeout_`.
    watch->deadline_.reset(evtimer_new(base_, CCallback<&Watch::onDeadline>::call, watch.get()));
    watch->timeout_ = timeout_;
    timeval first_answer = toTimeval(timeout_);
    evtimer_add(watch->deadline_.get(), &first_answer);
    evhttp_request* request = evhttp_request_new(CCallback<&Watch::onDone>::call, watch.get());
    evhttp_request_set_error_cb(request, CCallback<&Watch::onError>::call);
    evhttp_request_set_chunked_cb(request, CCallback<&Watch::onChunk>::call);
    addHeaders(request, endpoint.host, body);
    if (evhttp_make_request(watch->connection_.get(), request, EVHTTP_REQ_POST, "/v3/watch") != 0)
        return nullptr;  // evhttp freed the request
    return watch;
}

Client::Watch::~Watch() {
    ended_ = true;
    deadline_.reset();
    connection_.reset();
}

void Client::Watch::onChunk(evhttp_request* request) {
    if (ended_)
        return;
    if (evhttp_request_get_response_code(request) != 200) {
        // An error answer: kept for the reason given when it ends.
        if (error_body_.size() < 4096)
            error_body_ += bodyOf(request);
        else
            evbuffer_drain(evhttp_request_get_input_buffer(request), SIZE_MAX);
        return;
    }
    evbuffer* input = evhttp_request_get_input_buffer(request);
    while (evbuffer_get_length(input) > 0) {
        char bytes[16384];
        int n = evbuffer_remove(input, bytes, sizeof bytes);
        if (n <= 0)
            break;
        splitter_.feed(std::string_view(bytes, static_cast<std::size_t>(n)));
    }
    while (!ended_) {
        auto message = splitter_.next();
        if (!message)
            break;
        evtimer_del(deadline_.get());
        on_message_(std::move(*message));
    }
    if (!ended_ && splitter_.broken())
        end("the watch stream from " + endpoint_ + " is not JSON");
}

void Client::Watch::onDone(evhttp_request* request) {
    if (ended_)
        return;
    int status = request ? evhttp_request_get_response_code(request) : 0;
    if (status == 0)
        return end(endpoint_ + ": " + describeRequestError(last_error_));
    if (status != 200)
        return end(endpoint_ + ": HTTP " + std::to_string(status) + ": " + errorText(error_body_));
    end(endpoint_ + ": the watch stream ended");
}

void Client::Watch::onDeadline(evutil_socket_t, short) {
    if (!ended_)
        end(endpoint_ + ": no answer within " + std::to_string(timeout_.count()) + " ms");
}

void Client::Watch::onError(evhttp_request_error error) {
    last_error_ = error;
}

void Client::Watch::end(std::string why) {
    ended_ = true;
    on_end_(std::move(why));
}

}  // namespace switchboard::etcd
