#pragma once

#include <string>
#include <vector>

#include "switchboard/config.h"
#include "switchboard/libevent.h"
#include "switchboard/registry.h"
#include "switchboard/result.h"
#include "switchboard/stats.h"

namespace switchboard {

struct ConfigPreview {
    std::string before;  // the file's text now ("" when it does not exist)
    std::string after;   // its text after the change
};

struct ReloadOutcome {
    bool ok = false;
    std::vector<std::string> errors;  // "FILE:LINE:COLUMN: message" each, when !ok
    ConfigDiff diff;                  // when ok
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
};

// The admin port's routes (SPEC §5): turns calls into candidate configs for the ConfigControl.
class AdminApi {
  public:
    AdminApi(Registry& registry, ConfigControl& control, const ServerStats& stats)
        : registry_(registry), control_(control), stats_(stats) {}

    // The evhttp general callback for the admin listener; `arg` is the AdminApi.
    static void onRequest(evhttp_request* request, void* arg);

  private:
    void handle(evhttp_request* request);

    Registry& registry_;
    ConfigControl& control_;
    const ServerStats& stats_;
};

} // namespace switchboard
