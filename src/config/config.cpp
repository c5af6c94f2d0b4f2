// SPDX-License-Identifier: Apache-2.0
#include "switchboard/config/config.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "switchboard/net/net_address.h"

namespace switchboard {

const UpstreamConfig* ServiceConfig::findUpstream(std::string_view address) const {
    for (const auto& upstream : upstreams)
        if (upstream.address == address)
            return &upstream;
    return nullptr;
}

const ServiceConfig* Config::findService(std::string_view name) const {
    for (const auto& service : services)
        if (service.name == name)
            return &service;
    return nullptr;
}

ServiceConfig* Config::findService(std::string_view name) {
    return const_cast<ServiceConfig*>(std::as_const(*this).findService(name));
}

std::size_t Config::upstreamCount() const {
    std::size_t count = 0;
    for (const auto& service : services)
        count += service.upstreams.size();
    return count;
}

ServiceConfig* Config::addService(ServiceConfig service) {
    auto position = std::lower_bound(services.begin(), services.end(), service.name,
                                     [](const ServiceConfig& existing, const std::string& name) {
                                         return existing.name < name;
                                     });
    return &*services.insert(position, std::move(service));
}

void Config::setService(const std::string& name, const ServiceConfig* service) {
    if (ServiceConfig* existing = findService(name)) {
        if (service)
            *existing = *service;
        else
            services.erase(services.begin() + (existing - services.data()));
    } else if (service) {
        addService(*service);
    }
}

ServiceConfig makeDefaultService(std::string name) {
    ServiceConfig service;
    service.route = "/" + name;
    service.name = std::move(name);
    return service;
}

std::optional<std::string> checkServiceName(std::string_view name) {
    if (name.empty() || name.size() > 64)
        return "invalid service name '" + std::string(name) + "': must be 1-64 characters";
    if (!std::isalnum(static_cast<unsigned char>(name.front())))
        return "invalid service name '" + std::string(name) +
               "': must start with a letter or digit";
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
            return "invalid service name '" + std::string(name) +
                   "': only A-Z a-z 0-9 _ . - are allowed";
    return std::nullopt;
}

std::optional<std::string> checkRoute(std::string_view route) {
    if (route.empty() || route.front() != '/')
        return "invalid route '" + std::string(route) + "': must start with '/'";
    // Visible ASCII only: a request target can hold nothing else (the proxy refuses other
    // bytes; clients percent-encode them), so a route with them could never match. It also
    // keeps invalid UTF-8 from the admin API out of the TOML file, which must stay parseable.
    for (char c : route)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
            c == '?' || c == '#')
            return "invalid route '" + std::string(route) +
                   "': no spaces, control characters, non-ASCII bytes (percent-encode them), "
                   "'?' or '#'";
    return std::nullopt;
}

std::optional<std::string> checkHost(std::string_view host) {
    if (host.empty())
        return std::nullopt;
    if (!isValidHostname(host))
        return "invalid host '" + std::string(host) + "': expected a hostname (RFC 1123)";
    return std::nullopt;
}

std::optional<std::string> checkStrategy(std::string_view strategy) {
    for (const char* known : kStrategies)
        if (strategy == known)
            return std::nullopt;
    return "unknown strategy '" + std::string(strategy) +
           "': expected round_robin, least_conn, random or consistent_hash";
}

std::optional<std::string> checkHashKey(std::string_view hash_key) {
    if (hash_key == "client_ip")
        return std::nullopt;
    constexpr std::string_view kHeaderPrefix = "header:";
    if (hash_key.substr(0, kHeaderPrefix.size()) == kHeaderPrefix &&
        hash_key.size() > kHeaderPrefix.size()) {
        for (char c : hash_key.substr(kHeaderPrefix.size()))
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
                return "invalid hash_key '" + std::string(hash_key) + "': bad header name";
        return std::nullopt;
    }
    return "invalid hash_key '" + std::string(hash_key) +
           "': expected \"client_ip\" or \"header:NAME\"";
}

std::optional<std::string> checkUpstreamHost(std::string_view upstream_host) {
    if (upstream_host == "client" || upstream_host == "upstream")
        return std::nullopt;
    // A literal goes on the Host line as it is: a name or address, with a port if need be.
    bool fine = !upstream_host.empty() && upstream_host.size() <= 255;
    for (char c : upstream_host)
        fine = fine && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                        c == ':' || c == '[' || c == ']' || c == '_');
    if (!fine)
        return "invalid upstream_host '" + std::string(upstream_host) +
               "': expected \"client\", \"upstream\" or a host name (with an optional :port)";
    return std::nullopt;
}

std::optional<std::string> checkAccessLogFormat(std::string_view format) {
    if (format == "default" || format == "combined" || format == "json")
        return std::nullopt;
    return "unknown access_log_format '" + std::string(format) +
           "': expected \"default\", \"combined\" or \"json\"";
}

std::optional<std::string> checkWeight(std::int64_t weight) {
    if (weight < kMinWeight || weight > kMaxWeight)
        return "invalid weight " + std::to_string(weight) + ": must be an integer from 1 to 1000";
    return std::nullopt;
}

const char* adminStateName(AdminState state) {
    switch (state) {
    case AdminState::Drain:
        return "drain";
    case AdminState::Maint:
        return "maint";
    case AdminState::Active:
        break;
    }
    return "active";
}

std::optional<std::string> parseAdminState(std::string_view name, AdminState& out) {
    for (AdminState state : {AdminState::Active, AdminState::Drain, AdminState::Maint})
        if (name == adminStateName(state)) {
            out = state;
            return std::nullopt;
        }
    return "invalid admin_state '" + std::string(name) +
           "': must be \"active\", \"drain\" or \"maint\"";
}

std::optional<std::string> checkListenAddress(std::string_view address) {
    auto parsed = parseHostPort(address);
    if (!parsed)
        return parsed.error().message;
    if (parsed->kind == HostPort::Kind::Hostname && parsed->host != "localhost")
        return "invalid listen address '" + std::string(address) +
               "': use an IP address (or localhost)";
    return std::nullopt;
}

std::optional<std::string> checkEtcdEndpoint(std::string_view endpoint) {
    constexpr std::string_view scheme = "http://";
    std::string where = "cluster.etcd: '" + std::string(endpoint) + "'";
    if (endpoint.substr(0, scheme.size()) != scheme)
        return where + " must be http://host:port (etcd's JSON gateway; https is not supported)";
    std::string_view address = endpoint.substr(scheme.size());
    if (!address.empty() && address.back() == '/')
        address.remove_suffix(1);
    auto parsed = parseHostPort(address);
    if (!parsed)
        return where + ": " + parsed.error().message;
    return std::nullopt;
}

std::optional<std::string> checkClusterPrefix(std::string_view prefix) {
    if (prefix.size() < 2 || prefix.front() != '/' || prefix.back() != '/')
        return "cluster.prefix must start and end with '/' (\"/switchboard/prod/\"), not '" +
               std::string(prefix) + "'";
    for (unsigned char c : prefix)
        if (c <= ' ' || c == 0x7f)
            return "cluster.prefix must not contain spaces or control characters";
    return std::nullopt;
}

std::optional<std::string> checkUpstreamAddress(std::string& address) {
    auto parsed = parseHostPort(address);
    if (!parsed)
        return parsed.error().message;
    address = parsed->toString();
    return std::nullopt;
}

std::optional<std::string> checkIntegerRange(std::string_view what, std::int64_t value,
                                             IntegerRange range) {
    if (value < range.min || value > range.max)
        return std::string(what) + " must be from " + std::to_string(range.min) + " to " +
               std::to_string(range.max) + ", not " + std::to_string(value);
    return std::nullopt;
}

std::vector<ServiceProblem> checkCrossReferences(const Config& config) {
    std::vector<ServiceProblem> errors;
    std::set<std::pair<std::string, std::string>> claimed;  // (lowercase host, route)
    std::set<std::string> names;
    for (const auto& service : config.services) {
        if (!names.insert(service.name).second)
            errors.push_back({service.name, "service '" + service.name + "' is defined twice"});
        std::string host = service.host;
        std::transform(host.begin(), host.end(), host.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!claimed.insert({host, service.route}).second)
            errors.push_back({service.name, "service '" + service.name + "': route '" +
                                                service.route + "'" +
                                                (host.empty() ? "" : " on host '" + host + "'") +
                                                " is already claimed by another service"});
        std::set<std::string> addresses;
        for (const auto& upstream : service.upstreams)
            if (!addresses.insert(upstream.address).second)
                errors.push_back({service.name, "service '" + service.name +
                                                    "': duplicate upstream '" + upstream.address +
                                                    "'"});
    }
    return errors;
}

}  // namespace switchboard

namespace switchboard {

ConfigDiff diffConfigs(const Config& before, const Config& after) {
    ConfigDiff diff;
    for (const auto& service : after.services) {
        const ServiceConfig* old = before.findService(service.name);
        if (!old) {
            diff.services_added.push_back(service.name);
            diff.upstreams_added += service.upstreams.size();
            continue;
        }
        (*old == service ? diff.services_kept : diff.services_changed).push_back(service.name);
        for (const auto& upstream : service.upstreams)
            ++(old->findUpstream(upstream.address) ? diff.upstreams_kept : diff.upstreams_added);
        for (const auto& upstream : old->upstreams)
            diff.upstreams_removed += service.findUpstream(upstream.address) ? 0 : 1;
    }
    for (const auto& service : before.services) {
        if (!after.findService(service.name)) {
            diff.services_removed.push_back(service.name);
            diff.upstreams_removed += service.upstreams.size();
        }
    }
    diff.listeners_changed = before.proxy.listen != after.proxy.listen ||
                             before.proxy.tls_listen != after.proxy.tls_listen ||
                             before.admin.listen != after.admin.listen;
    diff.settings_changed = !(before.proxy == after.proxy) || !(before.admin == after.admin);
    return diff;
}

}  // namespace switchboard
