// SPDX-License-Identifier: Apache-2.0
// The comment-preserving write-back of the config file (SPEC §6). This file is the part that
// knows the schema: it turns the difference between two Configs into edits of a TomlDocument,
// which knows TOML only. As in Redis's config rewrite, one small writer per part of the config
// calls generic primitives on the document being rewritten. The result is parsed again and
// must mean exactly the new Config, or the whole file is rendered canonically instead.
#include "switchboard/config/config_edit.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "switchboard/config/config_file.h"
#include "switchboard/config/config_render.h"
#include "toml_document.h"

namespace switchboard {

namespace {

// Each writer turns one part of the difference into edits of the document, and returns false
// when that part cannot be edited in place.

// [proxy] and [admin]: a table that is not there is appended with the changed keys.
bool rewriteSettings(TomlDocument& document, const std::string& section,
                     const std::vector<TomlKeyValue>& changes) {
    if (changes.empty())
        return true;
    if (!document.containsKey(section)) {
        document.appendSection(tomlSection({section}, changes, document.newline()));
        return true;
    }
    auto table = document.table({section});
    return table && document.setValues(*table, changes);
}

bool removeService(TomlDocument& document, const std::string& name) {
    auto services = document.table({"services"});
    return services && document.removeKey(*services, name);
}

// A new service goes where renderConfig would write it: at the end, or into an inline
// `services = { ... }`.
bool addService(TomlDocument& document, const ServiceConfig& service) {
    auto services = document.table({"services"});
    if (services && services->form == TomlTable::Form::Inline)
        return document.insertKey(*services, {service.name, serviceInlineTable(service)});
    document.appendSection(serviceSections(service, document.newline()));
    return true;
}

// An upstream whose address stays keeps its line (and its comment), written anew only when its
// weight changed.
std::vector<TomlArrayElement> upstreamElements(const std::vector<UpstreamConfig>& before,
                                               const std::vector<UpstreamConfig>& after) {
    std::vector<TomlArrayElement> elements;
    for (const auto& upstream : after) {
        TomlArrayElement element;
        element.value = renderUpstream(upstream);
        auto found = std::find_if(before.begin(), before.end(), [&](const UpstreamConfig& u) {
            return u.address == upstream.address;
        });
        if (found != before.end()) {
            element.origin = static_cast<std::size_t>(found - before.begin());
            element.changed = *found != upstream;
        }
        elements.push_back(std::move(element));
    }
    return elements;
}

bool rewriteUpstreams(TomlDocument& document, const TomlTable& service,
                      const std::vector<UpstreamConfig>& before,
                      const std::vector<UpstreamConfig>& after) {
    return before == after || document.rewriteArray(service, "upstreams", before.size(),
                                                    upstreamElements(before, after));
}

bool addHealthCheck(TomlDocument& document, const TomlTable& service,
                    const HealthCheckConfig& check) {
    if (service.form != TomlTable::Form::Header)
        return document.insertKey(service,
                                  {"health_check", tomlInlineTable(healthCheckKeys(check))});
    TomlPath path = service.path;
    path.push_back("health_check");
    document.insertAfterSection(service,
                                document.newline() +
                                    tomlSection(path, healthCheckKeys(check), document.newline()));
    return true;
}

bool rewriteHealthCheck(TomlDocument& document, const TomlTable& service,
                        const std::optional<HealthCheckConfig>& before,
                        const std::optional<HealthCheckConfig>& after) {
    if (before == after)
        return true;
    if (!after)
        return document.removeKey(service, "health_check");
    if (!before)
        return addHealthCheck(document, service, *after);
    TomlPath path = service.path;
    path.push_back("health_check");
    auto table = document.table(path);
    return table && document.setValues(*table, changedKeys(*before, *after));
}

bool rewriteService(TomlDocument& document, const ServiceConfig& before,
                    const ServiceConfig& after) {
    auto table = document.table({"services", after.name});
    return table && document.setValues(*table, changedKeys(before, after)) &&
           rewriteUpstreams(document, *table, before.upstreams, after.upstreams) &&
           rewriteHealthCheck(document, *table, before.health_check, after.health_check);
}

bool rewriteServices(TomlDocument& document, const Config& before, const Config& after) {
    for (const auto& service : before.services)
        if (!after.findService(service.name) && !removeService(document, service.name))
            return false;
    for (const auto& service : after.services) {
        const ServiceConfig* old = before.findService(service.name);
        if (!old) {
            if (!addService(document, service))
                return false;
        } else if (!(*old == service) && !rewriteService(document, *old, service)) {
            return false;
        }
    }
    return true;
}

bool rewriteConfig(TomlDocument& document, const Config& before, const Config& after) {
    return rewriteSettings(document, "proxy", changedKeys(before.proxy, after.proxy)) &&
           rewriteSettings(document, "admin", changedKeys(before.admin, after.admin)) &&
           rewriteServices(document, before, after);
}

// The parser returns services sorted by name, so their order carries no meaning.
Config withServicesByName(Config config) {
    std::sort(config.services.begin(), config.services.end(),
              [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
    return config;
}

bool sameConfig(const Config& a, const Config& b) {
    return withServicesByName(a) == withServicesByName(b);
}

bool means(std::string_view text, const Config& config) {
    auto parsed = parseConfigText(text, "config");
    return parsed.config && sameConfig(*parsed.config, config);
}

std::optional<std::string> editInPlace(std::string_view text, const Config& original,
                                       const Config& target) {
    // The edits are planned from where toml++ says things are, and the parts left alone must
    // mean what `original` says.
    if (!means(text, original))
        return std::nullopt;
    toml::parse_result parsed = toml::parse(text);
    if (!parsed)
        return std::nullopt;
    TomlDocument document(text, parsed.table());
    if (!rewriteConfig(document, original, target))
        return std::nullopt;
    return document.result();
}

}  // namespace

ConfigEditResult editConfigText(std::string_view original_text, const Config& original,
                                const Config& target) {
    if (!original_text.empty()) {
        auto edited = editInPlace(original_text, original, target);
        if (edited && means(*edited, target))
            return {std::move(*edited), true};
    }
    return {renderConfig(target), false};
}

}  // namespace switchboard
