// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/base/libevent.h"
#include "switchboard/cluster/etcd_client.h"
#include "switchboard/config/service_source.h"

namespace switchboard {

// What GET /cluster and the metrics show of the cluster (SPEC §12).
struct ClusterStatus {
    std::vector<std::string> endpoints;
    std::string prefix;
    std::string endpoint;  // the one asked first now
    bool connected = false;
    std::int64_t revision = 0;  // the newest change of the services applied here
    std::optional<std::string> last_error;
    std::uint64_t changes_applied = 0;  // services changed here from the watch
};

// The services kept in etcd (SPEC §12): one key per service, `<prefix>services/<name>`, whose
// value is the service's JSON (as PUT /services/<name> takes it, every key present). Seeds
// etcd from the file once, changes one service per transaction on its mod_revision, and
// watches the prefix to apply what other instances change. Lives on the main loop.
class EtcdServiceSource final : public ServiceSource {
  public:
    struct Events {
        // One service changed in etcd by someone else; `after` null: deleted. `revision` is
        // the change's. The service is checked already, but not against the others.
        std::function<void(const std::string& service, const ServiceConfig* after,
                           std::int64_t revision)>
            changed;
        // Every service as etcd holds them at `revision` (the first read, and a read again after
        // a compaction): the services become these.
        std::function<void(std::vector<ServiceConfig> services, std::int64_t revision,
                           const std::string& cause)>
            replaced;
    };

    EtcdServiceSource(event_base* base, evdns_base* dns, const ClusterSettings& settings,
                      Events events);
    ~EtcdServiceSource() override;

    // Reads the services from etcd, first seeding it with `file_services` if the prefix has
    // never held any, and then watches it; retries with backoff for as long as etcd does not
    // answer. `file` names the config file for the warning that its services are ignored.
    void start(std::vector<ServiceConfig> file_services, const std::string& file);
    // The first read from etcd has been applied.
    bool synced() const { return synced_; }

    void save(const Config& running, const Config& candidate, const std::string& service,
              Saved saved) override;
    // The services rendered as TOML before and after (nothing is contacted).
    Result<ConfigPreview> preview(const Config& running, const Config& candidate) const override;

    ClusterStatus status() const;

    // The key of a service, and the value etcd keeps for it.
    std::string serviceKey(const std::string& service) const;
    static std::string serviceValue(const ServiceConfig& service);

  private:
    struct WatchedEvent {
        std::string service;
        std::optional<ServiceConfig> after;
        std::int64_t revision = 0;
    };

    void read();
    void onRead(Result<std::string> answer, bool seeding);
    void openWatch();
    // Stops the watch and keeps it until the loop frees it: this may be its callback.
    void retireWatch();
    void onWatchMessage(std::string json);
    void onWatchEnd(std::string why);
    // Drops the watch (from the loop, later) and tries again after the backoff.
    void retryLater(void (EtcdServiceSource::*what)(), const std::string& why);
    void onTimer(evutil_socket_t, short);
    // Every kProbeInterval, while a watch is open: a read, to find a watch's endpoint that
    // stopped answering; the watch is then opened again where the read was answered.
    void onProbeTimer(evutil_socket_t, short);
    void onProbe(Result<std::string> answer);
    void onEvent(const etcd::WatchEvent& event);
    void deliver(const WatchedEvent& event);
    void reached(const std::string& how);
    void lost(const std::string& why);
    // The services of a range's key-values; what cannot be read is logged and left out.
    std::vector<ServiceConfig> servicesOf(const std::vector<etcd::KeyValue>& kvs);
    // A failed transaction's read-back of the key shows what the change asked for (deleted,
    // or exactly `value`).
    static bool alreadyThere(const etcd::TxnAnswer& failed, bool deleted, const std::string& value);

    ClusterSettings settings_;
    Events events_;
    etcd::Client client_;
    std::string services_prefix_;
    std::string seeded_key_;
    std::vector<ServiceConfig> file_services_;
    std::string file_;
    std::unique_ptr<etcd::Client::Watch> watch_;
    std::unique_ptr<etcd::Client::Watch> retired_watch_;  // freed from the loop
    EventPtr timer_;
    void (EtcdServiceSource::*next_)() = nullptr;  // what the timer does
    EventPtr probe_timer_;
    bool probing_ = false;
    std::string watch_endpoint_;  // where watch_ was opened
    std::chrono::milliseconds backoff_;
    std::int64_t watch_from_ = 0;                // the revision the next watch starts at
    std::int64_t revision_ = 0;                  // the newest change of the services applied
    std::map<std::string, std::int64_t> known_;  // service -> its key's mod_revision here
    // Services with changes of ours in flight, and what the watch said of them meanwhile: held
    // until the change is answered, so that ours is not taken for someone else's.
    struct Pending {
        int in_flight = 0;
        std::vector<WatchedEvent> seen;
    };
    std::map<std::string, Pending> pending_;
    std::uint64_t changes_applied_ = 0;
    bool synced_ = false;
    bool connected_ = false;
    bool ever_connected_ = false;
    bool lost_logged_ = false;
    std::optional<std::string> last_error_;
};

}  // namespace switchboard
