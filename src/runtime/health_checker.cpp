// SPDX-License-Identifier: Apache-2.0
#include "switchboard/runtime/health_checker.h"

#include <event2/keyvalq_struct.h>

#include <algorithm>
#include <set>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// The check of one upstream of one service: a timer that starts a GET, a deadline that
// ends it, and the rise/fall counters. Owned by the HealthChecker; holds the upstream
// weakly, so a check never keeps a removed upstream alive nor touches a freed one.
class HealthChecker::Probe {
  public:
    Probe(event_base* base, evdns_base* dns, std::string service,
          const std::shared_ptr<Upstream>& upstream, HealthCheckConfig settings,
          std::chrono::milliseconds first_delay)
        : base_(base), dns_(dns), service_(std::move(service)), upstream_(upstream),
          identity_(upstream.get()), settings_(std::move(settings)),
          timer_(evtimer_new(base, CCallback<&Probe::onTimer>::call, this)),
          deadline_(evtimer_new(base, CCallback<&Probe::onDeadline>::call, this)) {
        schedule(first_delay);
    }

    ~Probe() {
        // evhttp frees a pending request with its connection; request_ = nullptr makes any
        // callback that might still come a no-op.
        request_ = nullptr;
        connection_.reset();
    }

    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    // True when this probe checks `upstream` (the same object, not just the same address)
    // with `settings`.
    bool checks(const Upstream* upstream, const HealthCheckConfig& settings) const {
        return identity_ == upstream && settings_ == settings && !upstream_.expired();
    }
    std::shared_ptr<Upstream> upstream() const { return upstream_.lock(); }

  private:
    void schedule(std::chrono::milliseconds delay) {
        timeval tv = toTimeval(delay);
        evtimer_add(timer_.get(), &tv);
    }

    void onTimer(evutil_socket_t, short) { start(); }

    void onDeadline(evutil_socket_t, short) {
        // Freeing the connection (outside of any evhttp callback) drops the request
        // without calling back.
        request_ = nullptr;
        connection_.reset();
        finish(false, timeoutText());
    }

    std::string timeoutText() const {
        return "timeout after " + std::to_string(settings_.timeout_ms) + " ms";
    }

    void onResponse(evhttp_request* response) {
        if (!request_)
            return;  // the check is over already (deadline or teardown)
        request_ = nullptr;
        evtimer_del(deadline_.get());
        int status = response ? evhttp_request_get_response_code(response) : 0;
        // evhttp's own timeout and our deadline are both timeout_ms: whichever fires first,
        // the log says the same.
        if (status == 0 && last_error_ == EVREQ_HTTP_TIMEOUT)
            return finish(false, timeoutText());
        if (status == 0)
            return finish(false, describeRequestError(last_error_));
        finish(status >= 200 && status < 400, "HTTP " + std::to_string(status));
    }

    void onError(evhttp_request_error error) { last_error_ = error; }

    // The body does not matter: with a chunk callback evhttp drains it as it comes instead
    // of buffering it whole.
    void onBodyChunk(evhttp_request*) {}

    void start() {
        auto upstream = upstream_.lock();
        if (!upstream)
            return;  // removed; reconcile drops this probe
        started_ = Clock::now();
        last_error_ = EVREQ_HTTP_EOF;
        // A fresh connection per check (and "Connection: close"): every check proves that
        // the upstream still accepts connections, like a request on a new connection would.
        const auto& address = upstream->address();
        connection_.reset(
            evhttp_connection_base_new(base_, dns_, address.host.c_str(), address.port));
        if (!connection_)
            return finish(false, "cannot create a connection");
        timeval timeout = toTimeval(std::chrono::milliseconds(settings_.timeout_ms));
        evhttp_connection_set_timeout_tv(connection_.get(), &timeout);
        evhttp_connection_set_retries(connection_.get(), 0);

        evhttp_request* request = evhttp_request_new(CCallback<&Probe::onResponse>::call, this);
        evhttp_request_set_error_cb(request, CCallback<&Probe::onError>::call);
        evhttp_request_set_chunked_cb(request, CCallback<&Probe::onBodyChunk>::call);
        evkeyvalq* headers = evhttp_request_get_output_headers(request);
        evhttp_add_header(headers, "Host", upstream->name().c_str());
        evhttp_add_header(headers, "User-Agent", "switchboard-health-check");
        evhttp_add_header(headers, "Connection", "close");
        request_ = request;
        if (evhttp_make_request(connection_.get(), request, EVHTTP_REQ_GET,
                                settings_.path.c_str()) != 0) {
            request_ = nullptr;  // evhttp freed it
            return finish(false, "cannot send the request");
        }
        evtimer_add(deadline_.get(), &timeout);
    }

    // One check's result: counts it and moves the upstream across `fall`/`rise`.
    void finish(bool passed, const std::string& detail) {
        auto upstream = upstream_.lock();
        if (!upstream)
            return;
        if (passed) {
            failures_ = 0;
            ++successes_;
            if (upstream->health_check_down && successes_ >= settings_.rise) {
                upstream->health_check_down = false;
                // The active check vouches for it: forget passive failures too.
                upstream->recordSuccess();
                upstream->beginSlowStart(Clock::now());  // back from down
                logInfo("service " + service_ + ": upstream " + upstream->name() +
                        " is up (health check: " + detail + ", " + std::to_string(successes_) +
                        " passed in a row)");
            }
        } else {
            successes_ = 0;
            ++failures_;
            if (!upstream->health_check_down && failures_ >= settings_.fall) {
                upstream->health_check_down = true;
                logWarn("service " + service_ + ": upstream " + upstream->name() +
                        " is down (health check: " + detail + ", " + std::to_string(failures_) +
                        " failed in a row)");
            }
        }
        // The next check starts one interval after this one started (at once when it took
        // longer than that), so checks never overlap.
        auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
        schedule(std::chrono::milliseconds(settings_.interval_ms) - elapsed);
    }

    event_base* base_;
    evdns_base* dns_;
    std::string service_;
    std::weak_ptr<Upstream> upstream_;
    const Upstream* identity_;  // compared only, never dereferenced
    HealthCheckConfig settings_;
    EventPtr timer_;
    EventPtr deadline_;
    std::int64_t successes_ = 0;
    std::int64_t failures_ = 0;
    Clock::time_point started_{};
    int last_error_ = EVREQ_HTTP_EOF;
    evhttp_request* request_ = nullptr;  // the check in progress, owned by connection_
    EvhttpConnectionPtr connection_;
};

HealthChecker::HealthChecker(event_base* base, evdns_base* dns) : base_(base), dns_(dns) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::stop() {
    probes_.clear();
}

void HealthChecker::reconcile(const Registry& registry) {
    std::map<Key, std::unique_ptr<Probe>> next;
    std::set<const Upstream*> checked;
    for (const auto& pool : registry.services()) {
        if (!pool->config().health_check)
            continue;
        const auto& settings = *pool->config().health_check;
        const auto& upstreams = pool->upstreams();
        for (std::size_t i = 0; i < upstreams.size(); ++i) {
            const auto& upstream = upstreams[i];
            // maint (SPEC §11): not checked at all; drain keeps its checks.
            if (upstream->adminState() == AdminState::Maint)
                continue;
            Key key{pool->name(), upstream->name()};
            checked.insert(upstream.get());
            auto found = probes_.find(key);
            if (found != probes_.end() && found->second->checks(upstream.get(), settings)) {
                next[key] = std::move(found->second);
                continue;
            }
            // New, or its settings changed: (re)start, staggered over one interval.
            auto delay =
                std::chrono::milliseconds(settings.interval_ms * static_cast<std::int64_t>(i) /
                                          static_cast<std::int64_t>(upstreams.size()));
            next[key] =
                std::make_unique<Probe>(base_, dns_, pool->name(), upstream, settings, delay);
        }
    }
    // Checks that end: an upstream that stays without a check must not stay marked down.
    for (auto& [key, probe] : probes_) {
        if (!probe)
            continue;
        if (auto upstream = probe->upstream(); upstream && !checked.count(upstream.get()))
            upstream->health_check_down = false;
    }
    probes_ = std::move(next);
}

}  // namespace switchboard
