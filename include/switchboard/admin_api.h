#pragma once

#include <string>
#include <vector>

#include "switchboard/config.h"
#include "switchboard/libevent.h"
#include "switchboard/registry.h"
#include "switchboard/result.h"

namespace switchboard {

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
};

// The admin port's routes (SPEC §5): turns calls into candidate configs for the ConfigControl.
class AdminApi {
  public:
    AdminApi(Registry& registry, ConfigControl& control)
        : registry_(registry), control_(control) {}

    // The evhttp general callback for the admin listener; `arg` is the AdminApi.
    static void onRequest(evhttp_request* request, void* arg);

  private:
    void handle(evhttp_request* request);

    Registry& registry_;
    ConfigControl& control_;
};

} // namespace switchboard
