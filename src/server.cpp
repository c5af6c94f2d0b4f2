#include "switchboard/server.h"

#include <csignal>
#include <cstring>

#include "switchboard/log.h"
#include "switchboard/net_address.h"

namespace switchboard {

Server::Server(std::string config_path, Config initial)
    : base_(event_base_new()), dns_(evdns_base_new(base_.get(), EVDNS_BASE_INITIALIZE_NAMESERVERS)),
      config_path_(std::move(config_path)) {
    registry_.apply(initial);
    proxy_ = std::make_unique<Proxy>(base_.get(), dns_.get(), registry_);
    admin_ = std::make_unique<AdminApi>(registry_, *this);

    // Signal handling is in place before anything is bound (SPEC §7): a SIGHUP during
    // start-up must never kill the process. libevent's signal events only set a flag in
    // the handler and run our code from the loop.
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) {
        signal_events_.emplace_back(
            evsignal_new(base_.get(), signal_number, onSignalEvent, this));
        event_add(signal_events_.back().get(), nullptr);
    }
    std::signal(SIGPIPE, SIG_IGN);
}

Server::~Server() = default;

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
        logInfo("SIGHUP: reload is not implemented yet");
        break;
    case SIGUSR1:
        break;
    }
}

bool Server::bindAll(evhttp* http, const std::vector<std::string>& addresses, const char* what) {
    for (const auto& text : addresses) {
        auto address = parseHostPort(text);
        if (!address) {
            logError(std::string("cannot bind ") + what + " " + text + ": " +
                     address.error().message);
            return false;
        }
        if (!evhttp_bind_socket_with_handle(http, address->host.c_str(), address->port)) {
            logError(std::string("cannot bind ") + what + " on " + text + ": " +
                     evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
            return false;
        }
        logInfo(std::string(what) + " listening on " + text);
    }
    return true;
}

void Server::configureProxyHttp() {
    const auto& settings = registry_.config().proxy;
    evhttp* http = proxy_http_.get();
    evhttp_set_gencb(http, Proxy::onRequest, proxy_.get());
    evhttp_set_default_content_type(http, nullptr);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                         EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(http, settings.max_header_bytes);
    evhttp_set_max_body_size(http, settings.max_request_body_bytes);
    timeval client_timeout{static_cast<time_t>(settings.client_timeout_ms / 1000),
                           static_cast<suseconds_t>(settings.client_timeout_ms % 1000 * 1000)};
    evhttp_set_timeout_tv(http, &client_timeout);
}

int Server::run() {
    proxy_http_.reset(evhttp_new(base_.get()));
    admin_http_.reset(evhttp_new(base_.get()));
    configureProxyHttp();
    evhttp_set_gencb(admin_http_.get(), AdminApi::onRequest, admin_.get());
    evhttp_set_max_body_size(admin_http_.get(), 1 << 20);
    evhttp_set_allowed_methods(admin_http_.get(), EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                                      EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                                      EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                                      EVHTTP_REQ_OPTIONS);

    const auto& config = registry_.config();
    if (!bindAll(proxy_http_.get(), config.proxy.listen, "proxy") ||
        !bindAll(admin_http_.get(), config.admin.listen, "admin"))
        return kExitBindFailed;

    logInfo("started with " + std::to_string(config.services.size()) + " services and " +
            std::to_string(config.upstreamCount()) + " upstreams");
    event_base_dispatch(base_.get());
    logInfo("stopped");
    return kExitOk;
}

Status Server::commit(const Config& candidate, const std::string& summary) {
    registry_.apply(candidate);
    logInfo(summary);
    return Ok{};
}

} // namespace switchboard
