#pragma once

#include <string>
#include <vector>

#include "switchboard/admin/change_journal.h"
#include "switchboard/config/config.h"
#include "switchboard/base/libevent.h"
#include "switchboard/runtime/registry.h"
#include "switchboard/base/result.h"
#include "switchboard/base/stats.h"

namespace switchboard {

struct ConfigPreview {
    std::string before;  // the file's text now ("" when it does not exist)
    std::string after;   // its text after the change
    std::string file;    // the file's path, for the diff's headers
};

struct ReloadOutcome {
    bool ok = false;
    std::vector<std::string> errors;  // "FILE:LINE:COLUMN: message" each, when !ok
    ConfigDiff diff;                  // when ok
    // previewReload only: the text switchboard last loaded or wrote (before) and the file
    // on disk now (after) -- what the reload would take in.
    ConfigPreview file;
};

// Where an admin change goes once it is validated: saved, then made the running config.
// The one change path (STYLE: build the candidate Config, persist it, then apply it).
class ConfigControl {
  public:
    virtual ~ConfigControl() = default;
    // `summary` is the log line of the change ("service apiA: added ... (2 upstreams)").
    virtual Status commit(const Config& candidate, const std::string& summary) = 0;
    // Re-reads the config file, exactly as SIGHUP does.
    virtual ReloadOutcome reload(const std::string& cause) = 0;
    // What commit(candidate) would write, without writing or applying anything (dry run).
    virtual Result<ConfigPreview> preview(const Config& candidate) = 0;
    // What reload() would do, without doing it (dry run): validates the file on disk and
    // compares it with the running config. Listeners are not test-bound.
    virtual ReloadOutcome previewReload() = 0;
};

// The admin port (SPEC §5): routes, the token, dry runs and the change journal. Every change
// is turned into a candidate Config and handed to the ConfigControl; nothing here changes
// the registry directly.
//
// Decisions where SPEC is silent (documented in switchboard(8)):
//  * GET routes also answer HEAD (headers only); `Allow` lists GET. Every other method,
//    and HEAD where GET is not allowed, is 405 with `Allow`.
//  * A token check comes before routing: without the token even an unknown path is 401.
//  * POST /services/<name>/upstreams for an address already there answers 200; a different
//    "weight" updates it, an absent one leaves it. For a new address weight defaults to 1.
//  * A route or host clash with another service is 400 (invalid, as in the file), not 409.
//  * The change journal records every change that reached the save: applied ones and
//    refused ones (409, 500) alike, with the status answered; calls refused before that
//    (400, 401, 404), dry runs and calls that change nothing are not recorded. Reloads
//    (POST /reload and SIGHUP) are recorded with their result.
class AdminApi {
  public:
    AdminApi(Registry& registry, ConfigControl& control, const ServerStats& stats)
        : registry_(registry), control_(control), stats_(stats) {}

    // The evhttp general callback for the admin listener; `arg` is the AdminApi.
    static void onRequest(evhttp_request* request, void* arg);

    // Records a reload that did not come through the admin port (SIGHUP) in the journal.
    void recordReload(const std::string& call, const std::string& peer,
                      const ReloadOutcome& outcome);

    const ChangeJournal& journal() const { return journal_; }

  private:
    struct Call;
    struct Change;

    void handle(evhttp_request* request);
    void route(Call& call);

    void getServices(Call& call);
    void getService(Call& call, const std::string& name);
    void putService(Call& call, const std::string& name);
    void deleteService(Call& call, const std::string& name);
    void postUpstream(Call& call, const std::string& name);
    void deleteUpstream(Call& call, const std::string& name, std::string address);
    void seedCall(Call& call, bool add);
    void postReload(Call& call);
    void getConfig(Call& call);
    void getChanges(Call& call);
    void getMetrics(Call& call);

    // Validates, previews (dry run) or commits a change, records it, and answers.
    void applyChange(Call& call, Change change);

    Registry& registry_;
    ConfigControl& control_;
    const ServerStats& stats_;
    ChangeJournal journal_;
};

}  // namespace switchboard
