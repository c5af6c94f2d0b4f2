// SPDX-License-Identifier: Apache-2.0
// TOML text <-> Config. What each part of a Config is written as lives in config_render.cpp,
// shared with the in-place editor.
#include "switchboard/config/config_file.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "switchboard/config/config_render.h"
#include "toml.h"

namespace switchboard {

std::string ConfigError::toString() const {
    if (line > 0)
        return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
    return file + ": " + message;
}

namespace {

// Walks the parsed TOML tree into a Config, collecting every error with its position.
class ConfigReader {
  public:
    explicit ConfigReader(std::string_view file_name) : file_(file_name) {}

    ConfigParse read(const toml::table& root) {
        Config config;
        readTable(
            root, "",
            {
                {"proxy", [&](const toml::node& node) { readProxy(node, config.proxy); }},
                {"admin", [&](const toml::node& node) { readAdmin(node, config.admin); }},
                {"cluster", [&](const toml::node& node) { readCluster(node, config.cluster); }},
                {"services", [&](const toml::node& node) { readServices(node, config); }},
            });
        if (errors_.empty()) {
            for (auto& problem : checkCrossReferences(config)) {
                auto where = service_positions_.find(problem.service);
                if (where != service_positions_.end())
                    error(where->second, problem.message);
                else
                    errors_.push_back({file_, 0, 0, problem.message});
            }
        }
        // toml++ walks tables in key order; report in file order.
        std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
            return std::pair(a.line, a.column) < std::pair(b.line, b.column);
        });
        ConfigParse result;
        if (errors_.empty())
            result.config = std::move(config);
        result.errors = std::move(errors_);
        return result;
    }

  private:
    using KeyHandler = std::function<void(const toml::node&)>;

    void error(const toml::source_region& where, std::string message) {
        errors_.push_back({file_, static_cast<int>(where.begin.line),
                           static_cast<int>(where.begin.column), std::move(message)});
    }

    // Calls the handler of each known key; every other key is an error, so a typo is never
    // silently ignored.
    void readTable(const toml::table& table, const std::string& path,
                   const std::map<std::string, KeyHandler, std::less<>>& handlers) {
        for (auto&& [key, node] : table) {
            auto handler = handlers.find(key.str());
            if (handler == handlers.end()) {
                error(key.source(), "unknown key '" + path + std::string(key.str()) + "'");
                continue;
            }
            handler->second(node);
        }
    }

    const toml::table* expectTable(const toml::node& node, const std::string& what) {
        if (auto* table = node.as_table())
            return table;
        error(node.source(), what + " must be a table");
        return nullptr;
    }

    void readString(const toml::node& node, const std::string& what, std::string& out,
                    std::optional<std::string> (*check)(std::string_view) = nullptr) {
        auto* value = node.as_string();
        if (!value) {
            error(node.source(), what + " must be a string");
            return;
        }
        if (check) {
            if (auto problem = check(value->get())) {
                error(node.source(), *problem);
                return;
            }
        }
        out = value->get();
    }

    void readInteger(const toml::node& node, const std::string& what, std::int64_t& out,
                     std::int64_t min, std::int64_t max) {
        auto* value = node.as_integer();
        if (!value) {
            error(node.source(), what + " must be an integer");
            return;
        }
        if (value->get() < min || value->get() > max) {
            error(node.source(), what + " must be from " + std::to_string(min) + " to " +
                                     std::to_string(max) + ", not " + std::to_string(value->get()));
            return;
        }
        out = value->get();
    }

    void readAdminState(const toml::node& node, const std::string& what, AdminState& out) {
        auto* value = node.as_string();
        if (!value) {
            error(node.source(), what + " must be a string: \"active\", \"drain\" or \"maint\"");
            return;
        }
        if (auto problem = parseAdminState(value->get(), out))
            error(node.source(), *problem);
    }

    void readBool(const toml::node& node, const std::string& what, bool& out) {
        auto* value = node.as_boolean();
        if (!value) {
            error(node.source(), what + " must be true or false");
            return;
        }
        out = value->get();
    }

    void readListen(const toml::node& node, const std::string& what, std::vector<std::string>& out,
                    bool may_be_empty = false) {
        std::vector<std::string> addresses;
        auto readOne = [&](const toml::node& item) {
            std::string address;
            readString(item, what, address, checkListenAddress);
            if (!address.empty())
                addresses.push_back(address);
        };
        if (auto* array = node.as_array()) {
            if (array->empty() && !may_be_empty)
                error(node.source(), what + " must name at least one address");
            for (auto& item : *array)
                readOne(item);
        } else if (node.is_string()) {
            readOne(node);
        } else {
            error(node.source(), what + " must be a string or an array of strings");
            return;
        }
        out = std::move(addresses);
    }

    void readProxy(const toml::node& node, ProxySettings& proxy) {
        auto* table = expectTable(node, "[proxy]");
        if (!table)
            return;
        constexpr std::int64_t kDay = 86'400'000;
        constexpr std::int64_t kMaxBytes = std::int64_t{1} << 40;
        auto integer = [&](const char* key, std::int64_t& out, std::int64_t min,
                           std::int64_t max) -> KeyHandler {
            return [this, key, &out, min, max](const toml::node& n) {
                readInteger(n, std::string("proxy.") + key, out, min, max);
            };
        };
        readTable(
            *table, "proxy.",
            {
                {"listen",
                 [&](const toml::node& n) { readListen(n, "proxy.listen", proxy.listen); }},
                {"connect_timeout_ms",
                 integer("connect_timeout_ms", proxy.connect_timeout_ms, 1, kDay)},
                {"upstream_timeout_ms",
                 integer("upstream_timeout_ms", proxy.upstream_timeout_ms, 1, kDay)},
                {"client_timeout_ms",
                 integer("client_timeout_ms", proxy.client_timeout_ms, 1, kDay)},
                {"max_request_body_bytes",
                 integer("max_request_body_bytes", proxy.max_request_body_bytes, 0, kMaxBytes)},
                {"max_header_bytes",
                 integer("max_header_bytes", proxy.max_header_bytes, 1024, 16 << 20)},
                {"retries", integer("retries", proxy.retries, 0, 100)},
                {"max_fails", integer("max_fails", proxy.max_fails, 0, 1000)},
                {"fail_timeout_ms", integer("fail_timeout_ms", proxy.fail_timeout_ms, 1, kDay)},
                {"shutdown_timeout_ms",
                 integer("shutdown_timeout_ms", proxy.shutdown_timeout_ms, 0, kDay)},
                {"tunnel_timeout_ms",
                 integer("tunnel_timeout_ms", proxy.tunnel_timeout_ms, 1, kDay)},
                {"drain_timeout_ms", integer("drain_timeout_ms", proxy.drain_timeout_ms, 0, kDay)},
                {"max_connections",
                 integer("max_connections", proxy.max_connections, 1, 1'000'000)},
                {"access_log",
                 [&](const toml::node& n) { readString(n, "proxy.access_log", proxy.access_log); }},
                {"access_log_format",
                 [&](const toml::node& n) {
                     readString(n, "proxy.access_log_format", proxy.access_log_format,
                                checkAccessLogFormat);
                 }},
                {"request_id",
                 [&](const toml::node& n) { readBool(n, "proxy.request_id", proxy.request_id); }},
                {"workers", [&](const toml::node& n) { readWorkers(n, proxy.workers); }},
                {"tls_listen",
                 [&](const toml::node& n) {
                     readListen(n, "proxy.tls_listen", proxy.tls_listen, true);
                     tls_listen_position_ = n.source();
                 }},
                {"tls_handshake_timeout_ms",
                 integer("tls_handshake_timeout_ms", proxy.tls_handshake_timeout_ms, 1, kDay)},
                {"certificates",
                 [&](const toml::node& n) { readCertificates(n, proxy.certificates); }},
            });
        checkTlsListeners(proxy);
    }

    // `[[proxy.certificates]]`: tables of `cert` and `key`, both required.
    void readCertificates(const toml::node& node, std::vector<CertificateConfig>& out) {
        auto* array = node.as_array();
        if (!array) {
            error(node.source(), "proxy.certificates must be an array of tables "
                                 "([[proxy.certificates]] with cert and key)");
            return;
        }
        for (auto& item : *array) {
            auto* table = expectTable(item, "each [[proxy.certificates]]");
            if (!table)
                continue;
            CertificateConfig certificate;
            readTable(*table, "proxy.certificates[].",
                      {
                          {"cert",
                           [&](const toml::node& n) {
                               readPath(n, "proxy.certificates[].cert", certificate.cert);
                           }},
                          {"key",
                           [&](const toml::node& n) {
                               readPath(n, "proxy.certificates[].key", certificate.key);
                           }},
                      });
            if (certificate.cert.empty() || certificate.key.empty()) {
                error(item.source(), "[[proxy.certificates]] needs both cert and key");
                continue;
            }
            out.push_back(std::move(certificate));
        }
    }

    // A file named in the config, kept as written: the Config is what the text says, whatever
    // the file is called (loadCertificates resolves a relative path).
    void readPath(const toml::node& node, const std::string& what, std::string& out) {
        std::string path;
        readString(node, what, path);
        if (path.empty() && node.is_string())
            error(node.source(), what + " must not be empty");
        out = std::move(path);
    }

    void checkTlsListeners(const ProxySettings& proxy) {
        if (proxy.tls_listen.empty())
            return;
        if (proxy.certificates.empty())
            error(tls_listen_position_,
                  "proxy.tls_listen needs at least one [[proxy.certificates]] entry");
        for (const auto& address : proxy.tls_listen)
            if (std::find(proxy.listen.begin(), proxy.listen.end(), address) != proxy.listen.end())
                error(tls_listen_position_,
                      "proxy.tls_listen: " + address + " is also in proxy.listen");
    }

    // 1 to kMaxWorkers, or "auto" (kWorkersAuto).
    void readWorkers(const toml::node& node, std::int64_t& out) {
        if (auto* text = node.as_string()) {
            if (text->get() == "auto")
                out = kWorkersAuto;
            else
                error(node.source(), "proxy.workers must be an integer from 1 to " +
                                         std::to_string(kMaxWorkers) + " or \"auto\", not \"" +
                                         text->get() + "\"");
            return;
        }
        if (!node.is_integer()) {
            error(node.source(), "proxy.workers must be an integer from 1 to " +
                                     std::to_string(kMaxWorkers) + " or \"auto\"");
            return;
        }
        readInteger(node, "proxy.workers", out, 1, kMaxWorkers);
    }

    void readAdmin(const toml::node& node, AdminSettings& admin) {
        auto* table = expectTable(node, "[admin]");
        if (!table)
            return;
        readTable(
            *table, "admin.",
            {
                {"listen",
                 [&](const toml::node& n) { readListen(n, "admin.listen", admin.listen); }},
                {"token", [&](const toml::node& n) { readString(n, "admin.token", admin.token); }},
            });
    }

    void readCluster(const toml::node& node, ClusterSettings& cluster) {
        auto* table = expectTable(node, "[cluster]");
        if (!table)
            return;
        readTable(*table, "cluster.",
                  {
                      {"etcd", [&](const toml::node& n) { readEtcdEndpoints(n, cluster.etcd); }},
                      {"prefix",
                       [&](const toml::node& n) {
                           readString(n, "cluster.prefix", cluster.prefix, checkClusterPrefix);
                       }},
                      {"timeout_ms",
                       [&](const toml::node& n) {
                           readInteger(n, "cluster.timeout_ms", cluster.timeout_ms, 10, 600'000);
                       }},
                      {"cache",
                       [&](const toml::node& n) { readString(n, "cluster.cache", cluster.cache); }},
                  });
    }

    void readEtcdEndpoints(const toml::node& node, std::vector<std::string>& out) {
        auto* array = node.as_array();
        if (!array) {
            error(node.source(), "cluster.etcd must be an array of \"http://host:port\" strings");
            return;
        }
        std::vector<std::string> endpoints;
        for (auto& item : *array) {
            std::string endpoint;
            readString(item, "each of cluster.etcd", endpoint, checkEtcdEndpoint);
            if (!endpoint.empty())
                endpoints.push_back(std::move(endpoint));
        }
        out = std::move(endpoints);
    }

    void readServices(const toml::node& node, Config& config) {
        auto* table = expectTable(node, "[services]");
        if (!table)
            return;
        for (auto&& [key, value] : *table) {
            std::string name(key.str());
            if (auto problem = checkServiceName(name)) {
                error(key.source(), *problem);
                continue;
            }
            ServiceConfig service = makeDefaultService(name);
            service_positions_[name] = key.source();
            if (auto* service_table = expectTable(value, "service '" + name + "'")) {
                if (auto* route = service_table->get("route"))
                    service_positions_[name] = route->source();
                readService(*service_table, service);
            }
            config.services.push_back(std::move(service));
        }
    }

    void readService(const toml::table& table, ServiceConfig& service) {
        const std::string prefix = "services." + service.name + ".";
        readTable(
            table, prefix,
            {
                {"route",
                 [&](const toml::node& n) {
                     readString(n, prefix + "route", service.route, checkRoute);
                 }},
                {"host",
                 [&](const toml::node& n) {
                     readString(n, prefix + "host", service.host, checkHost);
                 }},
                {"strategy",
                 [&](const toml::node& n) {
                     readString(n, prefix + "strategy", service.strategy, checkStrategy);
                 }},
                {"strip_prefix",
                 [&](const toml::node& n) {
                     readBool(n, prefix + "strip_prefix", service.strip_prefix);
                 }},
                {"hash_key",
                 [&](const toml::node& n) {
                     readString(n, prefix + "hash_key", service.hash_key, checkHashKey);
                 }},
                {"upstream_host",
                 [&](const toml::node& n) {
                     readString(n, prefix + "upstream_host", service.upstream_host,
                                checkUpstreamHost);
                 }},
                {"slow_start_ms",
                 [&](const toml::node& n) {
                     readInteger(n, prefix + "slow_start_ms", service.slow_start_ms,
                                 kSlowStartMsRange.min, kSlowStartMsRange.max);
                 }},
                {"upstreams",
                 [&](const toml::node& n) { readUpstreams(n, prefix + "upstreams", service); }},
                {"health_check",
                 [&](const toml::node& n) {
                     readHealthCheck(n, prefix + "health_check", service);
                 }},
            });
    }

    void readUpstreams(const toml::node& node, const std::string& what, ServiceConfig& service) {
        auto* array = node.as_array();
        if (!array) {
            error(node.source(), what + " must be an array");
            return;
        }
        for (auto& item : *array) {
            UpstreamConfig upstream;
            const toml::node* address_node = &item;
            if (auto* table = item.as_table()) {
                address_node = nullptr;
                readTable(*table, what + "[].",
                          {
                              {"address", [&](const toml::node& n) { address_node = &n; }},
                              {"weight",
                               [&](const toml::node& n) {
                                   readInteger(n, what + "[].weight", upstream.weight, kMinWeight,
                                               kMaxWeight);
                               }},
                              {"admin_state",
                               [&](const toml::node& n) {
                                   readAdminState(n, what + "[].admin_state", upstream.admin_state);
                               }},
                          });
                if (!address_node) {
                    error(item.source(), "upstream needs an address");
                    continue;
                }
            }
            auto* address = address_node->as_string();
            if (!address) {
                error(address_node->source(),
                      "upstream must be \"host:port\" or { address = \"host:port\", weight = N }");
                continue;
            }
            upstream.address = address->get();
            if (auto problem = checkUpstreamAddress(upstream.address)) {
                error(address_node->source(), *problem);
                continue;
            }
            if (service.findUpstream(upstream.address)) {
                error(address_node->source(), "duplicate upstream '" + upstream.address +
                                                  "' in service '" + service.name + "'");
                continue;
            }
            service.upstreams.push_back(upstream);
        }
    }

    void readHealthCheck(const toml::node& node, const std::string& what, ServiceConfig& service) {
        auto* table = expectTable(node, what);
        if (!table)
            return;
        HealthCheckConfig check;
        const std::string prefix = what + ".";
        constexpr std::int64_t kHour = 3'600'000;
        readTable(
            *table, prefix,
            {
                {"path",
                 [&](const toml::node& n) {
                     readString(n, prefix + "path", check.path, checkRoute);
                 }},
                {"interval_ms",
                 [&](const toml::node& n) {
                     readInteger(n, prefix + "interval_ms", check.interval_ms, 10, kHour);
                 }},
                {"timeout_ms",
                 [&](const toml::node& n) {
                     readInteger(n, prefix + "timeout_ms", check.timeout_ms, 1, kHour);
                 }},
                {"rise",
                 [&](const toml::node& n) { readInteger(n, prefix + "rise", check.rise, 1, 100); }},
                {"fall",
                 [&](const toml::node& n) { readInteger(n, prefix + "fall", check.fall, 1, 100); }},
            });
        service.health_check = check;
    }

    std::string file_;
    std::vector<ConfigError> errors_;
    toml::source_region tls_listen_position_;
    // Where cross-reference problems of a service are reported: its route, else its name.
    std::map<std::string, toml::source_region> service_positions_;
};

// toml++ says what it met, not what the operator forgot: an unterminated string shows up as
// a control character (the line's end) or the end of the file inside a string.
std::string withHint(std::string_view description) {
    std::string message(description);
    const bool in_string = message.rfind("Error while parsing string", 0) == 0 ||
                           message.rfind("Error while parsing literal string", 0) == 0;
    if (in_string && (message.find("end-of-file") != std::string::npos ||
                      message.find("control characters") != std::string::npos))
        message += " (hint: a string is not closed: its closing quote is missing before here)";
    return message;
}

}  // namespace

ConfigParse parseConfigText(std::string_view text, std::string_view file_name) {
    std::string path(file_name);
    if (auto problem = checkTomlInput(text)) {
        ConfigParse result;
        result.errors.push_back({path, static_cast<int>(problem->line),
                                 static_cast<int>(problem->column), std::move(problem->message)});
        return result;
    }
    toml::parse_result parsed = toml::parse(text, path);
    if (!parsed) {
        const auto& failure = parsed.error();
        ConfigParse result;
        result.errors.push_back({path, static_cast<int>(failure.source().begin.line),
                                 static_cast<int>(failure.source().begin.column),
                                 withHint(failure.description())});
        return result;
    }
    return ConfigReader(file_name).read(parsed.table());
}

std::string renderConfig(const Config& config) {
    std::string out = tomlSection({"proxy"}, proxyKeys(config.proxy), "\n");
    out += "\n" + tomlSection({"admin"}, adminKeys(config.admin), "\n");
    if (config.cluster.enabled())
        out += "\n" + tomlSection({"cluster"}, clusterKeys(config.cluster), "\n");
    for (const auto& service : config.services)
        out += "\n" + serviceSections(service, "\n");
    return out;
}

}  // namespace switchboard

#include <cerrno>
#include <cstring>
#include <fstream>

namespace switchboard {

ConfigFileRead readConfigFile(const std::string& path) {
    ConfigFileRead result;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int error = errno;
        if (error == ENOENT) {
            result.missing = true;
            result.parse.config = Config{};
            return result;
        }
        result.parse.errors.push_back(
            {path, 0, 0, std::string("cannot read: ") + std::strerror(error)});
        return result;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        result.parse.errors.push_back({path, 0, 0, "cannot read: I/O error"});
        return result;
    }
    result.text = buffer.str();
    result.parse = parseConfigText(result.text, path);
    return result;
}

}  // namespace switchboard
