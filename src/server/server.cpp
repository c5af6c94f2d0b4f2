// SPDX-License-Identifier: Apache-2.0
#include "switchboard/server/server.h"

#include <csignal>
#include <cstring>

#include <event2/thread.h>

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
        what, [http](evutil_socket_t fd, const std::string&) -> std::unique_ptr<AcceptingSocket> {
            evhttp_bound_socket* bound = evhttp_accept_socket_with_handle(http, fd);
            if (!bound) {
                evutil_closesocket(fd);
                return nullptr;
            }
            return std::make_unique<EvhttpAcceptingSocket>(http, bound);
        });
}

// "1 service", "2 services".
std::string counted(std::size_t count, const char* noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
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

// The main loop: only the main thread touches it (workers reach it through LoopTasks). With
// workers on threads of their own, libevent's global state (the random numbers evdns draws)
// gets its locks first.
event_base* newMainBase(std::size_t workers) {
    if (workers > 1)
        evthread_use_pthreads();
    return newLoopBase();
}

}  // namespace

Server::Server(ConfigStore store, Config initial_config)
    : base_(newMainBase(resolvedWorkerCount(initial_config.proxy.workers))),
      dns_(evdns_base_new(base_.get(), EVDNS_BASE_INITIALIZE_NAMESERVERS)),
      store_(std::move(store)), registry_(resolvedWorkerCount(initial_config.proxy.workers)) {
    Config initial = std::move(initial_config);
    source_ = &store_;
    if (initial.cluster.enabled())
        startCluster(initial);
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
    workers_ = std::make_unique<ProxyWorkers>(registry_.workers(), base_.get(), registry_.table(),
                                              stats_, access_log_);
    admin_ = std::make_unique<AdminApi>(base_.get(), registry_, *this, stats_);
    admin_http_.reset(evhttp_new(base_.get()));
    evhttp_set_gencb(admin_http_.get(), CCallback<&AdminApi::handleRequest>::call, admin_.get());
    evhttp_set_max_body_size(admin_http_.get(), 1 << 20);
    evhttp_set_allowed_methods(admin_http_.get(),
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                   EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS |
                                   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);  // 405 from us
    proxy_listeners_ = std::make_unique<ListenerSet>(
        "proxy",
        [this](evutil_socket_t fd, const std::string& address) {
            return workers_->attach(fd, address);
        },
        /*reuse_port=*/registry_.workers() > 1);
    tls_listeners_ = std::make_unique<ListenerSet>(
        "proxy TLS",
        [this](evutil_socket_t fd, const std::string& address) {
            return workers_->attach(fd, address, /*tls=*/true);
        },
        /*reuse_port=*/registry_.workers() > 1);
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
    tls_listeners_.reset();
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
        std::string problem = access_log_.reopen();
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
    tls_listeners_->closeAll();
    admin_listeners_->closeAll();
    const timeval limit = toTimeval(std::chrono::milliseconds(timeout_ms));
    event_base_loopexit(base_.get(), &limit);
    workers_->beginShutdown([this] { event_base_loopexit(base_.get(), nullptr); });
}

void Server::applySettings() {
    // Everything else of [proxy] is read per request; only the access log holds a file.
    const std::string& target = registry_.config().proxy.access_log;
    if (target == access_log_target_)
        return;
    std::string problem = access_log_.open(target);
    if (!problem.empty()) {
        logError(problem);
        return;
    }
    access_log_target_ = target;
}

void Server::applyConfig(const Config& next) {
    registry_.apply(next);
    health_->reconcile(registry_);
    workers_->publish(registry_.table());
}

Result<std::shared_ptr<const TlsServerContext>>
Server::readCertificates(const Config& next, const std::string& cause,
                         std::vector<std::string>& warnings) {
    std::size_t before = warnings.size();
    auto loaded = loadCertificates(next.proxy, store_.path(), certificates_.get(), warnings);
    for (std::size_t i = before; i < warnings.size(); ++i)
        logWarn(cause + ": " + warnings[i]);
    return loaded;
}

Result<std::vector<std::vector<std::string>>> Server::bindListeners(const Config& next) {
    // One set after the other; a failure closes again what this call bound.
    std::vector<std::pair<ListenerSet*, const std::vector<std::string>*>> sets = {
        {proxy_listeners_.get(), &next.proxy.listen},
        {tls_listeners_.get(), &next.proxy.tls_listen},
        {admin_listeners_.get(), &next.admin.listen}};
    std::vector<std::vector<std::string>> bound;
    for (auto [set, addresses] : sets) {
        auto added = set->bindMissing(*addresses);
        if (!added) {
            for (std::size_t i = 0; i < bound.size(); ++i)
                sets[i].first->close(bound[i]);
            return added.error();
        }
        bound.push_back(std::move(*added));
    }
    return bound;
}

int Server::run() {
    workers_->start();
    std::vector<std::string> warnings;
    auto certificates = readCertificates(registry_.config(), "start", warnings);
    if (!certificates) {
        logError(certificates.error().message + "; not starting");
        return kExitConfigError;
    }
    certificates_ = std::move(*certificates);
    workers_->setCertificates(certificates_);
    if (cluster_) {
        cluster_->start(std::move(file_services_), store_.path());
        waitForCluster();
    }
    // Taken only now: what etcd answered has replaced the registry's config.
    const Config& config = registry_.config();
    if (auto bound = bindListeners(config); !bound) {
        logError(bound.error().message);
        return kExitBindFailed;
    }
    logInfo("started with " + counted(config.services.size(), "service") + " and " +
            counted(config.upstreamCount(), "upstream") + " on " +
            counted(workers_->size(), "proxy worker") +
            (config.proxy.tls_listen.empty()
                 ? std::string()
                 : "; TLS on " + joined(config.proxy.tls_listen) + " with " +
                       counted(config.proxy.certificates.size(), "certificate")));
    systemd::ready(systemd::statusText(config.services.size(), config.upstreamCount()));
    event_base_dispatch(base_.get());
    logInfo("stopped");
    return kExitOk;
}

void Server::commit(const std::string& service, const ServiceConfig* after,
                    const std::string& summary, const std::string& asked, CommitDone done) {
    Config candidate = registry_.config();
    candidate.setService(service, after);
    std::optional<ServiceConfig> kept = after ? std::optional(*after) : std::nullopt;
    source_->save(registry_.config(), candidate, service,
                  [this, service, kept = std::move(kept), summary, asked,
                   done = std::move(done)](Status saved) {
                      if (!saved) {
                          stats_.saves_failed.add();
                          logWarn("refused: " + asked + ": " + saved.error().describe());
                          return done(saved);
                      }
                      stats_.saves_ok.add();
                      // etcd answers later: the change goes into the config as it is by then.
                      Config next = registry_.config();
                      next.setService(service, kept ? &*kept : nullptr);
                      applyConfig(next);
                      systemd::status(
                          systemd::statusText(next.services.size(), next.upstreamCount()));
                      logInfo(summary);
                      if (cluster_)
                          saveClusterCache();
                      done(Ok{});
                  });
}

Result<ConfigPreview> Server::preview(const Config& candidate) {
    return source_->preview(registry_.config(), candidate);
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
    std::vector<std::string> warnings;
    if (auto certificates =
            loadCertificates(read.parse.config->proxy, store_.path(), nullptr, warnings);
        !certificates) {
        outcome.errors.push_back(certificates.error().message);
        return outcome;
    }
    outcome.warnings = std::move(warnings);
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
        stats_.reloads_failed.add();
        notifyReloadDone(registry_.config(), outcome);
        return outcome;
    }
    Config next = std::move(*read.parse.config);
    keepClusterSettings(next, cause, outcome.warnings);
    // The certificate files are read again whether or not the config changed (a renewal).
    // Then new listeners: if a file is bad or an address cannot be bound, nothing changes.
    auto certificates = readCertificates(next, cause, outcome.warnings);
    if (!certificates) {
        outcome.errors.push_back(certificates.error().message);
    } else {
        // A new TLS listener accepts at once: it finds the new certificates in place.
        workers_->setCertificates(*certificates);
        if (auto bound = bindListeners(next); !bound) {
            workers_->setCertificates(certificates_);
            outcome.errors.push_back(bound.error().message);
        }
    }
    if (!outcome.errors.empty()) {
        logError(cause + ": reload refused: " + outcome.errors.front() +
                 "; still serving the previous configuration");
        stats_.reloads_failed.add();
        notifyReloadDone(registry_.config(), outcome);
        return outcome;
    }
    outcome.diff = diffConfigs(registry_.config(), next);
    if (resolvedWorkerCount(next.proxy.workers) != workers_->size()) {
        outcome.warnings.push_back(
            "proxy.workers: changing workers takes a restart; still running " +
            std::to_string(workers_->size()));
        logWarn(cause + ": " + outcome.warnings.back());
    }
    certificates_ = std::move(*certificates);
    applyConfig(next);
    applySettings();
    proxy_listeners_->closeAllBut(next.proxy.listen);
    tls_listeners_->closeAllBut(next.proxy.tls_listen);
    admin_listeners_->closeAllBut(next.admin.listen);
    outcome.ok = true;
    stats_.reloads_ok.add();
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
