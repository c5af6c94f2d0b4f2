// SPDX-License-Identifier: Apache-2.0
#include "switchboard/cluster/etcd_service_source.h"

#include <unistd.h>

#include <algorithm>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"
#include "switchboard/config/config_render.h"
#include "switchboard/config/service_json.h"

namespace switchboard {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kLastBackoff{5000};
// How often an open watch's endpoint is asked a question. A watch only ever hears of
// changes, so a member that hangs, or is cut off from its cluster's quorum, keeps it open and
// silent: only a request shows it (etcd's own progress notices come every 10 minutes).
constexpr std::chrono::milliseconds kProbeInterval{2000};

std::string revisionText(std::int64_t revision) {
    return std::to_string(revision);
}

// The services as the file would hold them, for a dry run's diff.
std::string servicesToml(const Config& config) {
    std::string text;
    for (const auto& service : config.services)
        text += (text.empty() ? "" : "\n") + serviceSections(service, "\n");
    return text;
}

}  // namespace

EtcdServiceSource::EtcdServiceSource(event_base* base, evdns_base* dns,
                                     const ClusterSettings& settings, Events events)
    : settings_(settings), events_(std::move(events)),
      client_(base, dns, settings.etcd, std::chrono::milliseconds(settings.timeout_ms)),
      services_prefix_(settings.prefix + "services/"), seeded_key_(settings.prefix + "seeded"),
      timer_(evtimer_new(base, CCallback<&EtcdServiceSource::onTimer>::call, this)),
      probe_timer_(
          event_new(base, -1, EV_PERSIST, CCallback<&EtcdServiceSource::onProbeTimer>::call, this)),
      backoff_(kFirstBackoff) {}

EtcdServiceSource::~EtcdServiceSource() = default;

std::string EtcdServiceSource::serviceKey(const std::string& service) const {
    return services_prefix_ + service;
}

std::string EtcdServiceSource::serviceValue(const ServiceConfig& service) {
    JsonPtr value = serviceConfigJson(service);
    // Every key present (SPEC §12): no health check is a null one.
    if (!service.health_check)
        cJSON_AddNullToObject(value.get(), "health_check");
    return JsonObject(std::move(value)).toString();
}

void EtcdServiceSource::start(std::vector<ServiceConfig> file_services, const std::string& file) {
    file_services_ = std::move(file_services);
    file_ = file;
    timeval interval = toTimeval(kProbeInterval);
    evtimer_add(probe_timer_.get(), &interval);
    read();
}

void EtcdServiceSource::read() {
    const std::string end = etcd::prefixRangeEnd(services_prefix_);
    if (!synced_ && !file_services_.empty()) {
        // Seeding (SPEC §12): the file's services, in one transaction that only the first
        // instance ever to try wins, and only while the prefix has never held services; the
        // others get what is there in the same answer.
        std::vector<etcd::Operation> puts;
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        puts.push_back(
            {etcd::Operation::Kind::Put, seeded_key_,
             "seeded from " + file_ + " on " + host + " (pid " + std::to_string(getpid()) + ")",
             ""});
        for (const auto& service : file_services_)
            puts.push_back(
                {etcd::Operation::Kind::Put, serviceKey(service.name), serviceValue(service), ""});
        // Never seeded, and no service there either (one put there by hand is etcd's to keep).
        std::string body =
            etcd::txnRequest({{etcd::Compare::Target::Create, seeded_key_, 0, ""},
                              {etcd::Compare::Target::Create, services_prefix_, 0, end}},
                             puts, {{etcd::Operation::Kind::Range, services_prefix_, "", end}});
        client_.post("/v3/kv/txn", std::move(body),
                     [this](Result<std::string> answer) { onRead(std::move(answer), true); });
        return;
    }
    client_.post("/v3/kv/range", etcd::rangeRequest(services_prefix_, end),
                 [this](Result<std::string> answer) { onRead(std::move(answer), false); });
}

void EtcdServiceSource::onRead(Result<std::string> answer, bool seeding) {
    retired_watch_.reset();
    if (!answer)
        return retryLater(&EtcdServiceSource::read, answer.error().describe());
    std::int64_t revision = 0;
    std::vector<etcd::KeyValue> kvs;
    bool seeded_here = false;
    if (seeding) {
        auto txn = etcd::parseTxnAnswer(*answer);
        if (!txn)
            return retryLater(&EtcdServiceSource::read, txn.error().message);
        revision = txn->revision;
        seeded_here = txn->succeeded;
        if (!seeded_here && !txn->ranges.empty())
            kvs = std::move(txn->ranges.front().kvs);
    } else {
        auto range = etcd::parseRangeAnswer(*answer);
        if (!range)
            return retryLater(&EtcdServiceSource::read, range.error().message);
        revision = range->revision;
        kvs = std::move(range->kvs);
    }
    std::vector<ServiceConfig> services;
    known_.clear();
    if (seeded_here) {
        services = file_services_;
        for (const auto& service : services)
            known_[service.name] = revision;
        revision_ = revision;
        logInfo("cluster: seeded etcd (prefix " + settings_.prefix + ") with the " +
                std::to_string(services.size()) + " services of " + file_ + " at revision " +
                revisionText(revision));
    } else {
        if (!synced_ && !file_services_.empty())
            logWarn("cluster: the services in " + file_ +
                    " are ignored: etcd holds the services (prefix " + settings_.prefix + ")");
        services = servicesOf(kvs);
        for (const auto& kv : kvs)
            revision_ = std::max(revision_, kv.mod_revision);
    }
    watch_from_ = revision + 1;
    const bool first = !synced_;
    synced_ = true;
    file_services_.clear();
    reached(first ? "read " + std::to_string(services.size()) + " services"
                  : "read the services again");
    events_.replaced(std::move(services), revision_,
                     first ? "cluster: read from etcd" : "cluster: read again");
    openWatch();
}

std::vector<ServiceConfig> EtcdServiceSource::servicesOf(const std::vector<etcd::KeyValue>& kvs) {
    std::vector<ServiceConfig> services;
    for (const auto& kv : kvs) {
        std::string name = kv.key.substr(services_prefix_.size());
        if (auto problem = checkServiceName(name)) {
            logError("cluster: ignoring key " + kv.key + ": " + *problem);
            continue;
        }
        auto body = parseJsonObject(kv.value);
        auto service =
            body ? parseServiceJson(name, body.value->get()) : JsonInput<ServiceConfig>{};
        if (!service) {
            logError("cluster: ignoring key " + kv.key + " at revision " +
                     revisionText(kv.mod_revision) + ": " + (body ? service.error : body.error));
            continue;
        }
        known_[name] = kv.mod_revision;
        services.push_back(std::move(*service.value));
    }
    return services;
}

void EtcdServiceSource::retireWatch() {
    if (!watch_)
        return;
    watch_->stop();
    retired_watch_ = std::move(watch_);
}

void EtcdServiceSource::openWatch() {
    retireWatch();
    watch_ = client_.watch(
        etcd::watchRequest(services_prefix_, etcd::prefixRangeEnd(services_prefix_), watch_from_),
        [this](std::string json) { onWatchMessage(std::move(json)); },
        [this](std::string why) { onWatchEnd(std::move(why)); });
    if (!watch_)
        return retryLater(&EtcdServiceSource::openWatch, client_.endpoint() + ": cannot connect");
    watch_endpoint_ = client_.endpoint();
}

void EtcdServiceSource::onProbeTimer(evutil_socket_t, short) {
    if (!watch_ || !connected_ || probing_)
        return;
    probing_ = true;
    // A linearizable read: a member without a quorum does not answer it.
    client_.post("/v3/kv/range", etcd::rangeRequest(seeded_key_),
                 [this](Result<std::string> answer) { onProbe(std::move(answer)); });
}

void EtcdServiceSource::onProbe(Result<std::string> answer) {
    probing_ = false;
    if (!watch_)
        return;
    if (!answer)
        return retryLater(&EtcdServiceSource::openWatch, answer.error().describe());
    // The client answers from the first endpoint that did: when that is not the watch's,
    // the watch's endpoint failed the read, and its silence means nothing.
    if (client_.endpoint() != watch_endpoint_) {
        logWarn("cluster: etcd at " + watch_endpoint_ + " did not answer a read; watching at " +
                client_.endpoint() + " from revision " + revisionText(watch_from_));
        openWatch();
    }
}

void EtcdServiceSource::onWatchMessage(std::string json) {
    auto message = etcd::parseWatchMessage(json);
    if (!message)
        return onWatchEnd(client_.endpoint() + ": " + message.error().message);
    if (message->canceled) {
        if (message->compact_revision > 0) {
            // What we missed is gone from etcd's history: read everything again.
            logWarn("cluster: etcd compacted its history past revision " +
                    revisionText(watch_from_ - 1) + " (compact revision " +
                    revisionText(message->compact_revision) + "); reading the services again");
            retireWatch();
            return read();
        }
        return onWatchEnd(client_.endpoint() + ": the watch was canceled" +
                          (message->cancel_reason.empty() ? "" : ": " + message->cancel_reason));
    }
    if (message->created)
        reached("watching from revision " + revisionText(watch_from_));
    for (const auto& event : message->events)
        onEvent(event);
}

void EtcdServiceSource::onEvent(const etcd::WatchEvent& event) {
    const auto& kv = event.kv;
    watch_from_ = std::max(watch_from_, kv.mod_revision + 1);
    if (kv.key.compare(0, services_prefix_.size(), services_prefix_) != 0)
        return;
    WatchedEvent watched{kv.key.substr(services_prefix_.size()), std::nullopt, kv.mod_revision};
    if (auto problem = checkServiceName(watched.service)) {
        logError("cluster: ignoring key " + kv.key + ": " + *problem);
        return;
    }
    if (event.type == etcd::WatchEvent::Type::Put) {
        auto body = parseJsonObject(kv.value);
        auto service = body ? parseServiceJson(watched.service, body.value->get())
                            : JsonInput<ServiceConfig>{};
        if (!service) {
            logError("cluster: ignoring key " + kv.key + " at revision " +
                     revisionText(kv.mod_revision) + ": " + (body ? service.error : body.error));
            return;
        }
        watched.after = std::move(*service.value);
    }
    auto pending = pending_.find(watched.service);
    if (pending != pending_.end())
        pending->second.seen.push_back(std::move(watched));
    else
        deliver(watched);
}

void EtcdServiceSource::deliver(const WatchedEvent& event) {
    auto known = known_.find(event.service);
    // Ours, or one the read took in already.
    if (known != known_.end() && known->second >= event.revision)
        return;
    if (event.after)
        known_[event.service] = event.revision;
    else
        known_.erase(event.service);
    revision_ = std::max(revision_, event.revision);
    ++changes_applied_;
    events_.changed(event.service, event.after ? &*event.after : nullptr, event.revision);
}

void EtcdServiceSource::onWatchEnd(std::string why) {
    retryLater(&EtcdServiceSource::openWatch, why);
}

void EtcdServiceSource::retryLater(void (EtcdServiceSource::*what)(), const std::string& why) {
    retireWatch();
    lost(why);
    client_.nextEndpoint();
    next_ = what;
    timeval delay = toTimeval(backoff_);
    evtimer_add(timer_.get(), &delay);
    backoff_ = std::min(backoff_ * 2, kLastBackoff);
}

void EtcdServiceSource::onTimer(evutil_socket_t, short) {
    retired_watch_.reset();
    if (next_)
        (this->*next_)();
}

void EtcdServiceSource::reached(const std::string& how) {
    backoff_ = kFirstBackoff;
    last_error_.reset();
    if (connected_)
        return;
    connected_ = true;
    lost_logged_ = false;
    logInfo(std::string("cluster: ") + (ever_connected_ ? "reconnected to" : "connected to") +
            " etcd at " + client_.endpoint() + " (prefix " + settings_.prefix + "): " + how);
    ever_connected_ = true;
}

void EtcdServiceSource::lost(const std::string& why) {
    last_error_ = why;
    connected_ = false;
    if (lost_logged_)
        return;  // once per outage, not per retry
    lost_logged_ = true;
    if (ever_connected_)
        logWarn("cluster: lost etcd: " + why + "; serving the services as they are, retrying");
    else
        logWarn("cluster: cannot reach etcd: " + why + "; retrying");
}

void EtcdServiceSource::save(const Config&, const Config& candidate, const std::string& service,
                             Saved saved) {
    if (!synced_)
        return saved(unavailable("cluster store unavailable",
                                 "the services have not been read from etcd yet"));
    const ServiceConfig* after = candidate.findService(service);
    const std::string key = serviceKey(service);
    auto known = known_.find(service);
    etcd::Compare compare = known != known_.end()
                                ? etcd::Compare{etcd::Compare::Target::Mod, key, known->second, ""}
                                : etcd::Compare{etcd::Compare::Target::Create, key, 0, ""};
    etcd::Operation operation =
        after ? etcd::Operation{etcd::Operation::Kind::Put, key, serviceValue(*after), ""}
              : etcd::Operation{etcd::Operation::Kind::Delete, key, "", ""};
    ++pending_[service].in_flight;
    // When the compare fails, the key as it is: an endpoint that took this change but did
    // not answer in time makes the client send it again to the next one, and that attempt
    // finds its own change there. Then what was asked holds, and the answer is success.
    etcd::Operation read_back{etcd::Operation::Kind::Range, key, "", ""};
    client_.post("/v3/kv/txn", etcd::txnRequest({compare}, {operation}, {read_back}),
                 [this, service, deleted = after == nullptr, value = operation.value,
                  saved = std::move(saved)](Result<std::string> answer) {
                     Status outcome = Ok{};
                     if (!answer) {
                         outcome = answer.error().kind == ErrorKind::Unavailable
                                       ? answer.error()
                                       : ioError("cluster store refused the change: " +
                                                 answer.error().message);
                     } else if (auto txn = etcd::parseTxnAnswer(*answer); !txn) {
                         outcome = ioError("cluster store answered what is not a transaction: " +
                                           txn.error().message);
                     } else if (!txn->succeeded && !alreadyThere(*txn, deleted, value)) {
                         outcome = conflict("service changed by another instance; retry");
                     } else {
                         if (!txn->succeeded && !deleted)
                             txn->revision = txn->ranges.front().kvs.front().mod_revision;
                         if (deleted)
                             known_.erase(service);
                         else
                             known_[service] = txn->revision;
                         revision_ = std::max(revision_, txn->revision);
                     }
                     // Answer first: the change is applied here before what the watch said of
                     // the service meanwhile (older changes are skipped as known).
                     saved(std::move(outcome));
                     auto pending = pending_.find(service);
                     if (pending == pending_.end() || --pending->second.in_flight > 0)
                         return;
                     auto seen = std::move(pending->second.seen);
                     pending_.erase(pending);
                     for (const auto& event : seen)
                         deliver(event);
                 });
}

bool EtcdServiceSource::alreadyThere(const etcd::TxnAnswer& failed, bool deleted,
                                     const std::string& value) {
    if (failed.ranges.empty())
        return false;
    const auto& kvs = failed.ranges.front().kvs;
    return deleted ? kvs.empty() : kvs.size() == 1 && kvs.front().value == value;
}

Result<ConfigPreview> EtcdServiceSource::preview(const Config& running,
                                                 const Config& candidate) const {
    return ConfigPreview{servicesToml(running), servicesToml(candidate),
                         "etcd:" + services_prefix_};
}

ClusterStatus EtcdServiceSource::status() const {
    ClusterStatus status;
    status.endpoints = settings_.etcd;
    status.prefix = settings_.prefix;
    status.endpoint = client_.endpoint();
    status.connected = connected_;
    status.revision = revision_;
    status.last_error = last_error_;
    status.changes_applied = changes_applied_;
    return status;
}

}  // namespace switchboard
