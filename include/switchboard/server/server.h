#pragma once

#include <event2/dns.h>

#include <memory>
#include <string>
#include <vector>

#include "switchboard/admin/admin_api.h"
#include "switchboard/base/libevent.h"
#include "switchboard/config/config.h"
#include "switchboard/config/config_store.h"
#include "switchboard/net/listeners.h"
#include "switchboard/proxy/proxy.h"
#include "switchboard/runtime/health_checker.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

struct EvdnsBaseFree {
    void operator()(evdns_base* dns) const { evdns_base_free(dns, 0); }
};
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsBaseFree>;

// Exit statuses (SPEC §1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfigError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBindFailed = 3;

// Owns the event loop, both listeners and the signals; starts, reloads and stops.
class Server final : public ConfigControl {
  public:
    // `store` has loaded `initial` already.
    Server(ConfigStore store, Config initial);
    ~Server() override;

    // Binds both listeners and runs the loop until SIGINT/SIGTERM. Returns the exit status.
    int run();

    Status commit(const Config& candidate, const std::string& summary) override;
    ReloadOutcome reload(const std::string& cause) override;
    Result<ConfigPreview> preview(const Config& candidate) override;
    ReloadOutcome previewReload() override;

  private:
    void applySettings();
    void shutdown(const std::string& cause);
    void onSignal(int signal_number);
    void onSignalEvent(evutil_socket_t signal_number, short);

    // Declared first so that it is destroyed last: everything below uses it.
    EventBasePtr base_;
    EvdnsBasePtr dns_;
    ConfigStore store_;
    ServerStats stats_;
    Registry registry_;
    std::unique_ptr<HealthChecker> health_;  // active checks; its timers live on base_
    std::unique_ptr<Proxy> proxy_;
    std::unique_ptr<AdminApi> admin_;
    EvhttpPtr admin_http_;
    std::unique_ptr<ListenerSet> proxy_listeners_;
    std::unique_ptr<ListenerSet> admin_listeners_;
    std::vector<EventPtr> signal_events_;
    std::string access_log_target_ = "\x01";  // none opened yet
    bool shutting_down_ = false;
};

}  // namespace switchboard
