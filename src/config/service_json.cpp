// SPDX-License-Identifier: Apache-2.0
// A service's configuration as JSON, both ways: the admin API's request bodies in (checked with
// the same check* functions as the file loader), and the service out (the change journal,
// ETags, and, for SPEC §12, the value of its key in etcd).
#include "switchboard/config/service_json.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace switchboard {

namespace {

template <typename T> JsonInput<T> fieldError(std::string field, std::string message) {
    JsonInput<T> input;
    input.field = std::move(field);
    input.error = std::move(message);
    return input;
}

// Walks one JSON object, calling the handler of each known member. The first problem is
// kept and later handlers are skipped: one clear error per call is enough for an API.
class ObjectReader {
  public:
    using Handler = std::function<void(const cJSON*)>;

    bool failed() const { return !error_.empty(); }
    const std::string& field() const { return field_; }
    const std::string& error() const { return error_; }

    void fail(std::string field, std::string message) {
        if (failed())
            return;
        field_ = std::move(field);
        error_ = std::move(message);
    }

    // `prefix` is what names the object's members in errors ("health_check.").
    void read(const cJSON* object, const std::string& prefix,
              const std::map<std::string, Handler, std::less<>>& handlers) {
        std::set<std::string> seen;
        for (const cJSON* member = object->child; member && !failed(); member = member->next) {
            std::string key = member->string ? member->string : "";
            std::string field = prefix + key;
            auto handler = handlers.find(key);
            if (handler == handlers.end()) {
                fail(field, "unknown key '" + field + "'");
                break;
            }
            if (!seen.insert(key).second) {
                fail(field, "duplicate key '" + field + "'");
                break;
            }
            handler->second(member);
        }
    }

    void string(const cJSON* node, const std::string& field, std::string& out,
                std::optional<std::string> (*check)(std::string_view) = nullptr) {
        if (!cJSON_IsString(node))
            return fail(field, field + " must be a string");
        std::string value = node->valuestring;
        if (check) {
            if (auto problem = check(value))
                return fail(field, field + ": " + *problem);
        }
        out = std::move(value);
    }

    void boolean(const cJSON* node, const std::string& field, bool& out) {
        if (!cJSON_IsBool(node))
            return fail(field, field + " must be true or false");
        out = cJSON_IsTrue(node);
    }

    // JSON has one number type: an integer is a number with no fraction, in range.
    std::optional<std::int64_t> integer(const cJSON* node, const std::string& field) {
        constexpr double kLimit = 9007199254740992.0;  // 2^53: exact in a double
        if (!cJSON_IsNumber(node) || std::floor(node->valuedouble) != node->valuedouble ||
            std::fabs(node->valuedouble) > kLimit) {
            fail(field, field + " must be an integer");
            return std::nullopt;
        }
        return static_cast<std::int64_t>(node->valuedouble);
    }

    void integerIn(const cJSON* node, const std::string& field, std::int64_t& out,
                   IntegerRange range) {
        auto value = integer(node, field);
        if (!value)
            return;
        if (auto problem = checkIntegerRange(field, *value, range))
            return fail(field, *problem);
        out = *value;
    }

    void weight(const cJSON* node, const std::string& field, std::int64_t& out) {
        auto value = integer(node, field);
        if (!value)
            return;
        if (auto problem = checkWeight(*value))
            return fail(field, field + ": " + *problem);
        out = *value;
    }

    void adminState(const cJSON* node, const std::string& field, AdminState& out) {
        if (!cJSON_IsString(node))
            return fail(field, field + " must be a string: \"active\", \"drain\" or \"maint\"");
        if (auto problem = parseAdminState(node->valuestring, out))
            return fail(field, field + ": " + *problem);
    }

    void address(const cJSON* node, const std::string& field, std::string& out) {
        if (!cJSON_IsString(node))
            return fail(field, field + " must be a string \"host:port\"");
        std::string value = node->valuestring;
        if (auto problem = checkUpstreamAddress(value))
            return fail(field, field + ": " + *problem);
        out = std::move(value);
    }

  private:
    std::string field_;
    std::string error_;
};

void readUpstreams(ObjectReader& reader, const cJSON* node, ServiceConfig& service) {
    if (!cJSON_IsArray(node))
        return reader.fail("upstreams", "upstreams must be an array");
    int index = 0;
    for (const cJSON* item = node->child; item && !reader.failed(); item = item->next, ++index) {
        const std::string field = "upstreams[" + std::to_string(index) + "]";
        UpstreamConfig upstream;
        if (cJSON_IsObject(item)) {
            bool has_address = false;
            reader.read(
                item, field + ".",
                {
                    {"address",
                     [&](const cJSON* n) {
                         has_address = true;
                         reader.address(n, field + ".address", upstream.address);
                     }},
                    {"weight",
                     [&](const cJSON* n) { reader.weight(n, field + ".weight", upstream.weight); }},
                    {"admin_state",
                     [&](const cJSON* n) {
                         reader.adminState(n, field + ".admin_state", upstream.admin_state);
                     }},
                });
            if (!reader.failed() && !has_address)
                reader.fail(field + ".address", field + " needs an address");
        } else if (cJSON_IsString(item)) {
            reader.address(item, field, upstream.address);
        } else {
            reader.fail(field, field + " must be \"host:port\" or {\"address\": \"host:port\", "
                                       "\"weight\": N}");
        }
        if (reader.failed())
            return;
        if (service.findUpstream(upstream.address))
            return reader.fail(field, field + ": duplicate upstream '" + upstream.address +
                                          "' in service '" + service.name + "'");
        service.upstreams.push_back(upstream);
    }
}

void readHealthCheck(ObjectReader& reader, const cJSON* node, ServiceConfig& service) {
    if (cJSON_IsNull(node)) {
        service.health_check.reset();
        return;
    }
    if (!cJSON_IsObject(node))
        return reader.fail("health_check", "health_check must be an object (or null)");
    HealthCheckConfig check;
    reader.read(node, "health_check.",
                {
                    {"path",
                     [&](const cJSON* n) {
                         reader.string(n, "health_check.path", check.path, checkRoute);
                     }},
                    {"interval_ms",
                     [&](const cJSON* n) {
                         reader.integerIn(n, "health_check.interval_ms", check.interval_ms,
                                          kHealthIntervalMsRange);
                     }},
                    {"timeout_ms",
                     [&](const cJSON* n) {
                         reader.integerIn(n, "health_check.timeout_ms", check.timeout_ms,
                                          kHealthTimeoutMsRange);
                     }},
                    {"rise",
                     [&](const cJSON* n) {
                         reader.integerIn(n, "health_check.rise", check.rise, kHealthRiseFallRange);
                     }},
                    {"fall",
                     [&](const cJSON* n) {
                         reader.integerIn(n, "health_check.fall", check.fall, kHealthRiseFallRange);
                     }},
                });
    service.health_check = check;
}

// The members of an upstream's settings in a POST or PATCH body, each optional.
std::map<std::string, ObjectReader::Handler, std::less<>>
upstreamPatchHandlers(ObjectReader& reader, UpstreamPatch& patch) {
    return {
        {"weight",
         [&](const cJSON* n) {
             std::int64_t weight = 1;
             reader.weight(n, "weight", weight);
             patch.weight = weight;
         }},
        {"admin_state",
         [&](const cJSON* n) {
             AdminState state = AdminState::Active;
             reader.adminState(n, "admin_state", state);
             patch.admin_state = state;
         }},
    };
}

}  // namespace

JsonInput<JsonPtr> parseJsonObject(std::string_view body) {
    const char* end = nullptr;
    JsonPtr root(cJSON_ParseWithLengthOpts(body.data(), body.size(), &end, false));
    if (!root) {
        std::size_t offset =
            end && end >= body.data() ? static_cast<std::size_t>(end - body.data()) : 0;
        if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
            return fieldError<JsonPtr>("", "the body must be a JSON object; it is empty");
        return fieldError<JsonPtr>("", "malformed JSON body near byte " + std::to_string(offset));
    }
    std::size_t consumed = static_cast<std::size_t>(end - body.data());
    if (body.substr(consumed).find_first_not_of(" \t\r\n") != std::string_view::npos)
        return fieldError<JsonPtr>("",
                                   "malformed JSON body: unexpected data after the value at byte " +
                                       std::to_string(consumed));
    if (!cJSON_IsObject(root.get()))
        return fieldError<JsonPtr>("", "the body must be a JSON object");
    // cJSON keeps strings NUL-terminated, so "/a\u0000b" would silently become "/a".
    if (body.find("\\u0000") != std::string_view::npos)
        return fieldError<JsonPtr>("",
                                   "malformed JSON body: NUL characters (\\u0000) are not allowed");
    JsonInput<JsonPtr> input;
    input.value = std::move(root);
    return input;
}

JsonInput<ServiceConfig> parseServiceJson(const std::string& name, const cJSON* body) {
    ServiceConfig service = makeDefaultService(name);
    ObjectReader reader;
    reader.read(
        body, "",
        {
            {"name",
             [&](const cJSON* n) {
                 if (!cJSON_IsString(n))
                     return reader.fail("name", "name must be a string");
                 if (name != n->valuestring)
                     reader.fail("name", "name '" + std::string(n->valuestring) +
                                             "' differs from the service in the path '" + name +
                                             "'");
             }},
            {"route",
             [&](const cJSON* n) { reader.string(n, "route", service.route, checkRoute); }},
            {"host", [&](const cJSON* n) { reader.string(n, "host", service.host, checkHost); }},
            {"strategy",
             [&](const cJSON* n) {
                 reader.string(n, "strategy", service.strategy, checkStrategy);
             }},
            {"strip_prefix",
             [&](const cJSON* n) { reader.boolean(n, "strip_prefix", service.strip_prefix); }},
            {"hash_key",
             [&](const cJSON* n) { reader.string(n, "hash_key", service.hash_key, checkHashKey); }},
            {"upstream_host",
             [&](const cJSON* n) {
                 reader.string(n, "upstream_host", service.upstream_host, checkUpstreamHost);
             }},
            {"slow_start_ms",
             [&](const cJSON* n) {
                 reader.integerIn(n, "slow_start_ms", service.slow_start_ms, kSlowStartMsRange);
             }},
            {"upstreams", [&](const cJSON* n) { readUpstreams(reader, n, service); }},
            {"health_check", [&](const cJSON* n) { readHealthCheck(reader, n, service); }},
        });
    if (reader.failed())
        return fieldError<ServiceConfig>(reader.field(), reader.error());
    JsonInput<ServiceConfig> input;
    input.value = std::move(service);
    return input;
}

JsonInput<UpstreamRequest> parseUpstreamJson(const cJSON* body) {
    UpstreamRequest request;
    bool has_address = false;
    ObjectReader reader;
    auto handlers = upstreamPatchHandlers(reader, request);
    handlers["address"] = [&](const cJSON* n) {
        has_address = true;
        reader.address(n, "address", request.address);
    };
    reader.read(body, "", handlers);
    if (!reader.failed() && !has_address)
        reader.fail("address", "address is required: {\"address\": \"host:port\", \"weight\": N}");
    if (reader.failed())
        return fieldError<UpstreamRequest>(reader.field(), reader.error());
    JsonInput<UpstreamRequest> input;
    input.value = std::move(request);
    return input;
}

JsonInput<UpstreamPatch> parseUpstreamPatchJson(const cJSON* body) {
    UpstreamPatch patch;
    ObjectReader reader;
    reader.read(body, "", upstreamPatchHandlers(reader, patch));
    if (reader.failed())
        return fieldError<UpstreamPatch>(reader.field(), reader.error());
    JsonInput<UpstreamPatch> input;
    input.value = patch;
    return input;
}

void UpstreamPatch::applyTo(UpstreamConfig& upstream) const {
    if (weight)
        upstream.weight = *weight;
    if (admin_state)
        upstream.admin_state = *admin_state;
}

JsonObject serviceConfigObject(const ServiceConfig& service) {
    JsonObject object;
    object.add("name", service.name)
        .add("route", service.route)
        .add("host", service.host)
        .add("strategy", service.strategy)
        .add("strip_prefix", service.strip_prefix)
        .add("hash_key", service.hash_key)
        .add("upstream_host", service.upstream_host)
        .add("slow_start_ms", service.slow_start_ms);
    if (service.health_check) {
        const auto& check = *service.health_check;
        object.add("health_check", JsonObject()
                                       .add("path", check.path)
                                       .add("interval_ms", check.interval_ms)
                                       .add("timeout_ms", check.timeout_ms)
                                       .add("rise", check.rise)
                                       .add("fall", check.fall)
                                       .release());
    }
    return object;
}

JsonPtr serviceConfigJson(const ServiceConfig& service) {
    auto upstreams = makeJsonArray();
    for (const auto& upstream : service.upstreams)
        appendToArray(upstreams.get(), JsonObject()
                                           .add("address", upstream.address)
                                           .add("weight", upstream.weight)
                                           .add("admin_state", adminStateName(upstream.admin_state))
                                           .release());
    return serviceConfigObject(service).add("upstreams", std::move(upstreams)).release();
}

std::string serviceConfigText(const ServiceConfig* service) {
    if (!service)
        return "null";
    return JsonObject(serviceConfigJson(*service)).toString();
}

}  // namespace switchboard
