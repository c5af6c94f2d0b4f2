// SPDX-License-Identifier: Apache-2.0
#include "switchboard/cluster/cluster_cache.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "switchboard/cluster/etcd_service_source.h"
#include "switchboard/config/atomic_file.h"
#include "switchboard/config/service_json.h"

namespace switchboard {

Status writeClusterCache(const std::string& path, const std::string& prefix,
                         const ClusterCache& cache) {
    auto services = makeJsonArray();
    for (const auto& service : cache.services) {
        auto value = parseJsonObject(EtcdServiceSource::serviceValue(service));
        appendToArray(services.get(), std::move(*value.value));
    }
    JsonObject root;
    root.add("prefix", prefix)
        .add("revision", std::to_string(cache.revision))
        .add("services", std::move(services));
    return writeFileAtomically(path, root.toString() + "\n");
}

Result<ClusterCache> readClusterCache(const std::string& path, const std::string& prefix) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int error = errno;
        if (error == ENOENT)
            return notFound(path + ": no cache");
        return invalid(path + ": cannot read: " + std::strerror(error));
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto body = parseJsonObject(text.str());
    if (!body)
        return invalid(path + ": not a cache: " + body.error);
    const cJSON* root = body.value->get();
    const cJSON* written_for = cJSON_GetObjectItemCaseSensitive(root, "prefix");
    const cJSON* revision = cJSON_GetObjectItemCaseSensitive(root, "revision");
    const cJSON* services = cJSON_GetObjectItemCaseSensitive(root, "services");
    if (!cJSON_IsString(written_for) || !cJSON_IsString(revision) || !cJSON_IsArray(services))
        return invalid(path + ": not a cache: it needs prefix, revision and services");
    if (prefix != written_for->valuestring)
        return invalid(path + ": written for prefix " + written_for->valuestring + ", not " +
                       prefix);
    ClusterCache cache;
    std::string_view digits(revision->valuestring);
    auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cache.revision);
    if (error != std::errc() || end != digits.data() + digits.size())
        return invalid(path + ": not a cache: revision is not a number");
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, services) {
        const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (!cJSON_IsString(name) || checkServiceName(name->valuestring))
            return invalid(path + ": not a cache: a service without a valid name");
        auto service = parseServiceJson(name->valuestring, item);
        if (!service)
            return invalid(path + ": service " + name->valuestring + ": " + service.error);
        cache.services.push_back(std::move(*service.value));
    }
    return cache;
}

}  // namespace switchboard
