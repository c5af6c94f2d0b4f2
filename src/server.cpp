#include "switchboard/server.h"

#include <csignal>
#include <cstring>

#include "switchboard/log.h"

namespace switchboard {

namespace {

std::unique_ptr<ListenerSet> makeEvhttpListeners(const char* what, evhttp* http) {
    return std::make_unique<ListenerSet>(
        what,
        [http](evutil_socket_t fd) -> void* { return evhttp_accept_socket_with_handle(http, fd); },
        [http](void* handle) {
            evhttp_del_accept_socket(http, static_cast<evhttp_bound_socket*>(handle));
        });
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? "none" : text;
}

} // namespace

Server::Server(ConfigStore store, Config initial)
    : base_(event_base_new()),
      dns_(evdns_base_new(base_.get(), EVDNS_BASE_INITIALIZE_NAMESERVERS)),
      store_(std::move(store)) {
    // Signal handling is in place before anything is bound (SPEC §7): a SIGHUP during
    // start-up must never kill the process. libevent's signal events only note the signal
    // in the handler and run our code from the loop.
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
        signal_events_.emplace_back(evsignal_new(base_.get(), signal_number, onSignalEvent, this));
        event_add(signal_events_.back().get(), nullptr);
    }
    std::signal(SIGPIPE, SIG_IGN);
    // A file size limit must make a save fail with EFBIG (and the change be refused), not
    // kill the daemon.
    std::signal(SIGXFSZ, SIG_IGN);

    registry_.apply(initial);
    proxy_ = std::make_unique<Proxy>(base_.get(), dns_.get(), registry_);
    admin_ = std::make_unique<AdminApi>(registry_, *this, stats_);
    proxy_http_.reset(evhttp_new(base_.get()));
    admin_http_.reset(evhttp_new(base_.get()));
    evhttp_set_gencb(proxy_http_.get(), Proxy::onRequest, proxy_.get());
    evhttp_set_default_content_type(proxy_http_.get(), nullptr);
    evhttp_set_allowed_methods(proxy_http_.get(),
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(admin_http_.get(), AdminApi::onRequest, admin_.get());
    evhttp_set_max_body_size(admin_http_.get(), 1 << 20);
    evhttp_set_allowed_methods(admin_http_.get(),
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    proxy_listeners_ = makeEvhttpListeners("proxy", proxy_http_.get());
    admin_listeners_ = makeEvhttpListeners("admin", admin_http_.get());
    applySettings();
}

Server::~Server() {
    // Listeners go before the evhttp objects they feed.
    proxy_listeners_.reset();
    admin_listeners_.reset();
}

void Server::onSignalEvent(evutil_socket_t signal_number, short, void* arg) {
    static_cast<Server*>(arg)->onSignal(static_cast<int>(signal_number));
}

void Server::onSignal(int signal_number) {
    switch (signal_number) {
    case SIGINT:
    case SIGTERM:
        logInfo(signal_number == SIGINT ? "SIGINT: shutting down" : "SIGTERM: shutting down");
        event_base_loopexit(base_.get(), nullptr);
        break;
    case SIGHUP:
        reload("SIGHUP");
        break;
    case SIGUSR1:
        break;
    }
}

void Server::applySettings() {
    const auto& settings = registry_.config().proxy;
    evhttp* http = proxy_http_.get();
    evhttp_set_max_headers_size(http, settings.max_header_bytes);
    evhttp_set_max_body_size(http, settings.max_request_body_bytes);
    timeval client_timeout{static_cast<time_t>(settings.client_timeout_ms / 1000),
                           static_cast<suseconds_t>(settings.client_timeout_ms % 1000 * 1000)};
    evhttp_set_timeout_tv(http, &client_timeout);
}

int Server::run() {
    const auto& config = registry_.config();
    auto proxy_bound = proxy_listeners_->bindMissing(config.proxy.listen);
    if (!proxy_bound) {
        logError(proxy_bound.error().message);
        return kExitBindFailed;
    }
    auto admin_bound = admin_listeners_->bindMissing(config.admin.listen);
    if (!admin_bound) {
        logError(admin_bound.error().message);
        return kExitBindFailed;
    }
    logInfo("started with " + std::to_string(config.services.size()) + " services and " +
            std::to_string(config.upstreamCount()) + " upstreams");
    event_base_dispatch(base_.get());
    logInfo("stopped");
    return kExitOk;
}

Status Server::commit(const Config& candidate, const std::string& summary) {
    Status saved = store_.save(registry_.config(), candidate);
    if (!saved) {
        ++stats_.saves_failed;
        logWarn(summary + ": refused: " + saved.error().message);
        return saved;
    }
    ++stats_.saves_ok;
    registry_.apply(candidate);
    logInfo(summary);
    return Ok{};
}

Result<ConfigPreview> Server::preview(const Config& candidate) {
    auto after = store_.preview(registry_.config(), candidate);
    if (!after)
        return after.error();
    return ConfigPreview{store_.knownText(), std::move(*after)};
}

ReloadOutcome Server::reload(const std::string& cause) {
    ReloadOutcome outcome;
    ConfigFileRead read = store_.load(/*missing_is_error=*/true);
    if (!read.parse.config) {
        for (const auto& error : read.parse.errors) {
            outcome.errors.push_back(error.toString());
            logError(error.toString());
        }
        logError(cause + ": reload refused; still serving the previous configuration");
        ++stats_.reloads_failed;
        return outcome;
    }
    const Config& next = *read.parse.config;
    // New listeners first: if one cannot be bound, nothing changes.
    auto proxy_bound = proxy_listeners_->bindMissing(next.proxy.listen);
    if (!proxy_bound) {
        outcome.errors.push_back(proxy_bound.error().message);
    } else {
        auto admin_bound = admin_listeners_->bindMissing(next.admin.listen);
        if (!admin_bound) {
            proxy_listeners_->close(*proxy_bound);
            outcome.errors.push_back(admin_bound.error().message);
        }
    }
    if (!outcome.errors.empty()) {
        logError(cause + ": reload refused: " + outcome.errors.front() +
                 "; still serving the previous configuration");
        ++stats_.reloads_failed;
        return outcome;
    }
    outcome.diff = diffConfigs(registry_.config(), next);
    registry_.apply(next);
    applySettings();
    proxy_listeners_->closeAllBut(next.proxy.listen);
    admin_listeners_->closeAllBut(next.admin.listen);
    outcome.ok = true;
    ++stats_.reloads_ok;
    const auto& diff = outcome.diff;
    logInfo(cause + ": reloaded " + store_.path() + ": services added: " +
            joined(diff.services_added) + "; removed: " + joined(diff.services_removed) +
            "; changed: " + joined(diff.services_changed) + "; upstreams +" +
            std::to_string(diff.upstreams_added) + " -" + std::to_string(diff.upstreams_removed) +
            " =" + std::to_string(diff.upstreams_kept));
    return outcome;
}

} // namespace switchboard
