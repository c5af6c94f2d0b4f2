#include "switchboard/server/server.h"

#include <csignal>
#include <cstring>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"
#include "switchboard/base/systemd_notify.h"

namespace switchboard {

namespace {

// A socket evhttp accepts on; evhttp_del_accept_socket also closes it.
class EvhttpAcceptingSocket : public AcceptingSocket {
  public:
    EvhttpAcceptingSocket(evhttp* http, evhttp_bound_socket* bound) : http_(http), bound_(bound) {}
    ~EvhttpAcceptingSocket() override { evhttp_del_accept_socket(http_, bound_); }
    EvhttpAcceptingSocket(const EvhttpAcceptingSocket&) = delete;
    EvhttpAcceptingSocket& operator=(const EvhttpAcceptingSocket&) = delete;

  private:
    evhttp* http_;
    evhttp_bound_socket* bound_;
};

std::unique_ptr<ListenerSet> makeEvhttpListeners(const char* what, evhttp* http) {
    return std::make_unique<ListenerSet>(
        what, [http](evutil_socket_t fd) -> std::unique_ptr<AcceptingSocket> {
            evhttp_bound_socket* bound = evhttp_accept_socket_with_handle(http, fd);
            if (!bound)
                return nullptr;
            return std::make_unique<EvhttpAcceptingSocket>(http, bound);
        });
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? "none" : text;
}

// SPEC §7: every reload, refused or not, ends with READY=1 and the counts now served.
void notifyReloadDone(const Config& running, const ReloadOutcome& outcome) {
    std::string error;
    if (!outcome.ok)
        error = outcome.errors.empty() ? std::string("see the log") : outcome.errors.front();
    systemd::ready(systemd::statusText(running.services.size(), running.upstreamCount(), error));
}

}  // namespace

namespace {

// One loop for everything. The changelist batches the epoll_ctl calls a bufferevent makes
// as it switches events on and off within one turn of the loop.
event_base* newEventBase() {
    event_config* config = event_config_new();
    event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    event_base* base = event_base_new_with_config(config);
    event_config_free(config);
    return base ? base : event_base_new();
}

}  // namespace

Server::Server(ConfigStore store, Config initial)
    : base_(newEventBase()), dns_(evdns_base_new(base_.get(), EVDNS_BASE_INITIALIZE_NAMESERVERS)),
      store_(std::move(store)) {
    // Signal handling is in place before anything is bound (SPEC §7): a SIGHUP during
    // start-up must never kill the process. libevent's signal events only note the signal
    // in the handler and run our code from the loop.
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
        signal_events_.emplace_back(evsignal_new(base_.get(), signal_number,
                                                 CCallback<&Server::onSignalEvent>::call, this));
        event_add(signal_events_.back().get(), nullptr);
    }
    std::signal(SIGPIPE, SIG_IGN);
    // A file size limit must make a save fail with EFBIG (and the change be refused), not
    // kill the daemon.
    std::signal(SIGXFSZ, SIG_IGN);

    registry_.apply(initial);
    health_ = std::make_unique<HealthChecker>(base_.get(), dns_.get());
    health_->reconcile(registry_);
    proxy_ = std::make_unique<Proxy>(base_.get(), dns_.get(), registry_, stats_);
    admin_ = std::make_unique<AdminApi>(registry_, *this, stats_);
    admin_http_.reset(evhttp_new(base_.get()));
    evhttp_set_gencb(admin_http_.get(), CCallback<&AdminApi::handleRequest>::call, admin_.get());
    evhttp_set_max_body_size(admin_http_.get(), 1 << 20);
    evhttp_set_allowed_methods(admin_http_.get(),
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS |
                                   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);  // 405 from us
    proxy_listeners_ = std::make_unique<ListenerSet>(
        "proxy", [this](evutil_socket_t fd) { return proxy_->attachListener(fd); });
    admin_listeners_ = makeEvhttpListeners("admin", admin_http_.get());
    applySettings();
}

Server::~Server() {
    // Deleting the signal events gives the signals their default action back: a late
    // SIGTERM (systemd's, say) must not turn a clean exit into a death by signal.
    signal_events_.clear();
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGHUP, SIG_IGN);
    std::signal(SIGUSR1, SIG_IGN);
    // Listeners go before the evhttp objects they feed.
    proxy_listeners_.reset();
    admin_listeners_.reset();
}

void Server::onSignalEvent(evutil_socket_t signal_number, short) {
    onSignal(static_cast<int>(signal_number));
}

void Server::onSignal(int signal_number) {
    switch (signal_number) {
    case SIGINT:
    case SIGTERM:
        systemd::stopping();
        shutdown(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    case SIGHUP:
        admin_->recordReload("SIGHUP", "", reload("SIGHUP"));
        break;
    case SIGUSR1: {
        std::string problem = proxy_->accessLog().reopen();
        if (!problem.empty())
            logError("SIGUSR1: " + problem);
        else
            logInfo("SIGUSR1: access log reopened");
        break;
    }
    }
}

void Server::shutdown(const std::string& cause) {
    if (shutting_down_) {
        logInfo(cause + " again: stopping now");
        event_base_loopexit(base_.get(), nullptr);
        return;
    }
    shutting_down_ = true;
    const auto timeout_ms = registry_.config().proxy.shutdown_timeout_ms;
    logInfo(cause + ": shutting down; requests in flight have " + std::to_string(timeout_ms) +
            " ms to finish");
    // Stop accepting; let the requests in flight finish, up to the timeout.
    proxy_listeners_->closeAll();
    admin_listeners_->closeAll();
    const timeval limit = toTimeval(std::chrono::milliseconds(timeout_ms));
    event_base_loopexit(base_.get(), &limit);
    proxy_->beginShutdown([this] { event_base_loopexit(base_.get(), nullptr); });
}

void Server::applySettings() {
    // Everything else of [proxy] is read per request; only the access log holds a file.
    const std::string& target = registry_.config().proxy.access_log;
    if (target == access_log_target_)
        return;
    std::string problem = proxy_->accessLog().open(target);
    if (!problem.empty()) {
        logError(problem);
        return;
    }
    access_log_target_ = target;
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
    systemd::ready(systemd::statusText(config.services.size(), config.upstreamCount()));
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
    health_->reconcile(registry_);
    systemd::status(systemd::statusText(candidate.services.size(), candidate.upstreamCount()));
    logInfo(summary);
    return Ok{};
}

Result<ConfigPreview> Server::preview(const Config& candidate) {
    auto after = store_.preview(registry_.config(), candidate);
    if (!after)
        return after.error();
    return ConfigPreview{store_.knownText(), std::move(*after), store_.path()};
}

ReloadOutcome Server::previewReload() {
    // What reload() would read, without taking it in (a missing file is an error there too).
    ReloadOutcome outcome;
    ConfigFileRead read = readConfigFile(store_.path());
    if (read.missing)
        read.parse.errors.push_back(
            {store_.path(), 0, 0, "cannot read: No such file or directory"});
    if (read.missing || !read.parse.config) {
        for (const auto& error : read.parse.errors)
            outcome.errors.push_back(error.toString());
        return outcome;
    }
    outcome.ok = true;
    outcome.diff = diffConfigs(registry_.config(), *read.parse.config);
    outcome.file = ConfigPreview{store_.knownText(), std::move(read.text), store_.path()};
    return outcome;
}

ReloadOutcome Server::reload(const std::string& cause) {
    systemd::reloading();
    ReloadOutcome outcome;
    ConfigFileRead read = store_.load(/*missing_is_error=*/true);
    if (!read.parse.config) {
        for (const auto& error : read.parse.errors) {
            outcome.errors.push_back(error.toString());
            logError(error.toString());
        }
        logError(cause + ": reload refused; still serving the previous configuration");
        ++stats_.reloads_failed;
        notifyReloadDone(registry_.config(), outcome);
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
        notifyReloadDone(registry_.config(), outcome);
        return outcome;
    }
    outcome.diff = diffConfigs(registry_.config(), next);
    registry_.apply(next);
    health_->reconcile(registry_);
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
    notifyReloadDone(registry_.config(), outcome);
    return outcome;
}

}  // namespace switchboard
