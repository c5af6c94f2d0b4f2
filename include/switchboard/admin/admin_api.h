// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "switchboard/admin/change_journal.h"
#include "switchboard/admin/drain_removals.h"
#include "switchboard/admin/route_table.h"
#include "switchboard/base/libevent.h"
#include "switchboard/base/result.h"
#include "switchboard/base/stats.h"
#include "switchboard/cluster/etcd_service_source.h"
#include "switchboard/config/config.h"
#include "switchboard/config/service_source.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

struct AdminCall;

struct ReloadOutcome {
    bool ok = false;
    std::vector<std::string> errors;  // "FILE:LINE:COLUMN: message" each, when !ok
    ConfigDiff diff;                  // when ok
    // When ok: what the reload took in but could not apply ("proxy.workers: changing workers
    // takes a restart; still running 4"), logged as warnings and answered by POST /reload.
    std::vector<std::string> warnings;
    // previewReload only: the text switchboard last loaded or wrote (before) and the file
    // on disk now (after) -- what the reload would take in.
    ConfigPreview file;
};

// Where an admin change goes once it is validated: saved, then made the running config.
// The one change path (STYLE: build the candidate Config, persist it, then apply it).
class ConfigControl {
  public:
    virtual ~ConfigControl() = default;
    using CommitDone = std::function<void(Status)>;
    // Saves the change of one service, `after` (null: deleted), makes it part of the running
    // config, and then calls `done` once with the outcome. It is applied to the running config
    // as that is when the save completes, so that changes of different services in flight at
    // once all stay. The file calls `done` before commit returns; a store that answers later
    // (etcd, SPEC §12) calls it from the main loop.
    // `summary` is the log line of the change ("service apiA: added ... (2 upstreams)");
    // `asked`, the same as asked ("service apiA: add ..."), for the line of a refusal.
    virtual void commit(const std::string& service, const ServiceConfig* after,
                        const std::string& summary, const std::string& asked, CommitDone done) = 0;
    // Re-reads the config file, exactly as SIGHUP does.
    virtual ReloadOutcome reload(const std::string& cause) = 0;
    // What commit(candidate) would write, without writing or applying anything (dry run).
    virtual Result<ConfigPreview> preview(const Config& candidate) = 0;
    // What reload() would do, without doing it (dry run): validates the file on disk and
    // compares it with the running config. Listeners are not test-bound.
    virtual ReloadOutcome previewReload() = 0;
    // The cluster's state (SPEC §12); nullopt when standalone.
    virtual std::optional<ClusterStatus> clusterStatus() const = 0;
};

// The admin port (SPEC §5): routes, the token, dry runs and the change journal. Every change
// is turned into a candidate Config and handed to the ConfigControl; nothing here changes
// the registry directly.
//
// Decisions where SPEC is silent (documented in switchboard(8)):
//  * GET routes also answer HEAD (headers only); `Allow` lists GET. Every other method,
//    and HEAD where GET is not allowed, is 405 with `Allow`.
//  * A token check comes before routing: without the token even an unknown path is 401. Only
//    /healthz and / (the status page, whose script asks for the token) are served without it.
//  * POST /services/<name>/upstreams for an address already there answers 200; a different
//    "weight" updates it, an absent one leaves it. For a new address weight defaults to 1.
//  * A route or host clash with another service is 400 (invalid, as in the file), not 409.
//  * PATCH with an empty object changes nothing and answers 200 with the state (a merge patch
//    that names nothing); given for an address the service lacks it is 404, never a creation.
//  * The ETag of an answer is that of the configuration it shows: a dry run's is the one the
//    change would make, a deleted service's the one it had. If-Match is checked (412) after
//    the body and the path (400, 404) and before anything is saved, on every change of one
//    service, the seed calls included, dry runs too; `*` matches any existing service. A 412
//    carries the service's current ETag and is not journalled.
//  * The change journal records every change that reached the save: applied ones and
//    refused ones (409, 500) alike, with the status answered; calls refused before that
//    (400, 401, 404), dry runs and calls that change nothing are not recorded. Reloads
//    (POST /reload and SIGHUP) are recorded with their result.
class AdminApi {
  public:
    // `base`: the main loop, for the removals that wait for a drain.
    AdminApi(event_base* base, Registry& registry, ConfigControl& control,
             const ServerStats& stats);

    // The admin listener's evhttp general callback, registered through
    // CCallback<&AdminApi::handleRequest>::call with the AdminApi as its argument.
    void handleRequest(evhttp_request* request);

    // Records a reload that did not come through the admin port (SIGHUP) in the journal.
    void recordReload(const std::string& call, const std::string& peer,
                      const ReloadOutcome& outcome);

    // Records a change of one service that came from the cluster (SPEC §12): peer "cluster",
    // the etcd revision, and `message` (the summary, or why it was not applied).
    void recordClusterChange(const std::string& service, const ServiceConfig* before,
                             const ServiceConfig* after, std::int64_t revision, int status,
                             const std::string& message);

    const ChangeJournal& journal() const { return journal_; }

  private:
    struct Change;
    using Handler = void (AdminApi::*)(AdminCall& call);

    // Every admin call (admin_routes.cpp): method, path pattern, handler.
    static std::span<const Route<Handler>> routes();

    // admin_services.cpp: services and their upstreams, and the seed calls.
    void getServices(AdminCall& call);
    void getService(AdminCall& call);
    void putService(AdminCall& call);
    void deleteService(AdminCall& call);
    void postUpstream(AdminCall& call);
    void deleteUpstream(AdminCall& call);
    void patchUpstream(AdminCall& call);
    void addUpstreamSeed(AdminCall& call);
    void seedCallUsage(AdminCall& call);
    // The upstream of the call's {service} and {address} in `change.candidate`, or nullptr
    // after answering 404.
    UpstreamConfig* findUpstreamOf(AdminCall& call, Change& change);
    // Validates, previews (dry run) or commits a change, records it, and answers.
    void applyChange(AdminCall& call, Change change);
    // Commits the change of `service` from `before` to `after` (null: none), records it in
    // the journal as `status` (or the refusal's) and then calls `done` with the outcome.
    // `detail` is added to the log summary.
    void commitAndRecord(const std::string& peer, const std::string& call_text,
                         const std::string& service, const ServiceConfig* before,
                         const ServiceConfig* after, int status, const std::string& detail,
                         ConfigControl::CommitDone done);
    // The second half of DELETE ...?drain=1: the drained upstream goes.
    void removeDrained(const DrainRemovals::Pending& pending, DrainRemovals::Why why,
                       std::int64_t in_flight);

    // admin_status.cpp: health, reload, the running config, the journal, metrics.
    void getHealth(AdminCall& call);
    void postReload(AdminCall& call);
    void getConfig(AdminCall& call);
    void getChanges(AdminCall& call);
    void getMetrics(AdminCall& call);
    void getCluster(AdminCall& call);

    // status_page.cpp: the status page (SPEC §11).
    void getStatusPage(AdminCall& call);

    Registry& registry_;
    ConfigControl& control_;
    const ServerStats& stats_;
    ChangeJournal journal_;
    DrainRemovals drain_removals_;
};

}  // namespace switchboard
