// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "switchboard/base/result.h"
#include "switchboard/config/config.h"

namespace switchboard {

// The services last applied from etcd, on disk, so that an instance that starts while etcd is
// unreachable serves them (SPEC §12). JSON: {"prefix": "/switchboard/", "revision": "42",
// "services": [{...}, ...]}, each service as etcd keeps it.
struct ClusterCache {
    std::int64_t revision = 0;
    std::vector<ServiceConfig> services;
};

// Replaces the cache atomically (a crash leaves the old one or the new one).
Status writeClusterCache(const std::string& path, const std::string& prefix,
                         const ClusterCache& cache);

// NotFound when there is no cache; Invalid when it cannot be read, is not one, or was written
// for another prefix (the message says which).
Result<ClusterCache> readClusterCache(const std::string& path, const std::string& prefix);

}  // namespace switchboard
