// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>

#include "switchboard/base/result.h"
#include "switchboard/config/config.h"

namespace switchboard {

// What a dry run shows: the text that keeps the services before and after a change.
struct ConfigPreview {
    std::string before;  // the text now ("" when it does not exist)
    std::string after;   // its text after the change
    std::string file;    // where it is kept, for the diff's headers
};

// Where the services are kept, and how the change of one is kept there: the config file
// (SPEC §6) or etcd (SPEC §12). Every admin change goes through one, so the admin API, dry
// runs, the journal, ETags and drain work the same whichever keeps them.
class ServiceSource {
  public:
    virtual ~ServiceSource();

    using Saved = std::function<void(Status)>;
    // Keeps the change of `service` from `running` to `candidate` (which differ in that service
    // only) and then calls `saved` once with the outcome: before save returns (the file), or
    // later from the main loop (etcd). On an error nothing was kept.
    virtual void save(const Config& running, const Config& candidate, const std::string& service,
                      Saved saved) = 0;
    // What save would write, without writing anything (a dry run).
    virtual Result<ConfigPreview> preview(const Config& running, const Config& candidate) const = 0;
};

}  // namespace switchboard
