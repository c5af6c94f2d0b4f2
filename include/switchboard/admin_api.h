#pragma once

#include <string>

#include "switchboard/config.h"
#include "switchboard/libevent.h"
#include "switchboard/registry.h"
#include "switchboard/result.h"

namespace switchboard {

// Where an admin change goes once it is validated: saved, then made the running config.
// The one change path (STYLE: build the candidate Config, persist it, then apply it).
class ChangeCommitter {
  public:
    virtual ~ChangeCommitter() = default;
    // `summary` is the log line of the change ("service apiA: added ... (2 upstreams)").
    virtual Status commit(const Config& candidate, const std::string& summary) = 0;
};

// The admin port's routes (SPEC §5): turns calls into candidate configs for the committer.
class AdminApi {
  public:
    AdminApi(Registry& registry, ChangeCommitter& committer)
        : registry_(registry), committer_(committer) {}

    // The evhttp general callback for the admin listener; `arg` is the AdminApi.
    static void onRequest(evhttp_request* request, void* arg);

  private:
    void handle(evhttp_request* request);

    Registry& registry_;
    ChangeCommitter& committer_;
};

} // namespace switchboard
