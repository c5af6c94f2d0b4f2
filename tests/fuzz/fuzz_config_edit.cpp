// SPDX-License-Identifier: Apache-2.0
// The in-place config editor (SPEC §6, config_edit.h): from a valid file, a random sequence of
// changes -- upstreams and services added and removed, weights, admin states and service
// settings changed, upstreams reordered, proxy settings changed -- each written back with
// editConfigText. Every result must parse to exactly the change's target; a change that
// changes nothing gives the text back unchanged; a result edited in place keeps every comment
// line; a fallback is the canonical rendering.
//
// Input: the first byte picks a built-in starting file, or (high bit set) takes the file from
// the input up to its first NUL byte -- used when it is a valid config, else the built-in one.
// The bytes after that are the changes.
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "switchboard/config/config_edit.h"
#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

// Starting files in the styles an operator writes: comments everywhere, inline tables,
// dotted keys, one upstream per line, CRLF line endings, sub-tables before their parents.
const char* const kBaseFiles[] = {
    R"(# switchboard configuration: edited by hand and by the admin API.
# Ünïcödé in a comment: café ✓

[proxy]
listen = "127.0.0.1:6188"   # where clients connect
retries    =   2            # odd spacing on purpose

[admin]
listen = "127.0.0.1:8080"
token = ""  # no token in tests

# The main API.
[services.apiA]
# a comment inside the service's own table
route = "/apiA"       # route comment
strategy = "round_robin"
upstreams = [  # the pool
    "127.0.0.1:3001",  # primary
    # the backup below is cold
    { address = "127.0.0.1:3002", weight = 2 },  # backup
]

[services.apiA.health_check]   # active checks
path = "/healthz"
interval_ms = 2000  # every two seconds

# Service B is written compactly.
[services.apiB]
upstreams = ["127.0.0.1:4001", "127.0.0.1:4002"]  # B pool
# trailing comment in B

# Written after its sub-tables, which TOML allows.
[services]
apiC = { route = "/c", upstreams = ["127.0.0.1:5001"] }   # inline table
apiD.route = "/d"   # dotted keys
apiD.upstreams = [
  "127.0.0.1:6001",
]
# the end
)",
    ("[proxy]\r\nlisten = \"127.0.0.1:6188\"\r\n\r\n[admin]\r\nlisten = \"127.0.0.1:8080\"\r\n\r\n"
     "# CRLF file\r\n[services.web]\r\nupstreams = [\"10.0.0.1:80\", \"10.0.0.2:80\"]\r\n"),
    "",
    R"([services."api.v1"]
route = "/v1"
host = "example.com"
strategy = "consistent_hash"
hash_key = "header:X-User"
upstreams = [
  { address = "[::1]:8001", weight = 5 },
  { address = "backend.internal:8002" },
]

[services.legacy]
route = "/"
strip_prefix = true
upstreams = []
)",
    R"(services = { a = { upstreams = ["127.0.0.1:1"] }, b = { route = "/bee" } }
)",
    R"([services.x.health_check]
path = "/h"

[services.x]
upstreams = ["127.0.0.1:9000",
             "127.0.0.1:9001"]
)",
};

Config byName(Config config) {
    std::sort(config.services.begin(), config.services.end(),
              [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
    return config;
}

std::string generateName(fuzz::ByteReader& in) {
    static constexpr std::string_view kFirst = "abcdwxyzAB0129";
    static constexpr std::string_view kRest = "abcxyzAZ019._-";
    std::string name(1, kFirst[in.below(kFirst.size())]);
    std::size_t length = in.below(8);
    for (std::size_t i = 0; i < length; ++i)
        name += kRest[in.below(kRest.size())];
    return name;
}

std::string generateAddress(fuzz::ByteReader& in) {
    std::string port = std::to_string(in.u16() % 65535 + 1);
    switch (in.below(5)) {
    case 0:
        return "127.0.0." + std::to_string(in.byte()) + ":" + port;
    case 1:
        return "[::" + std::to_string(in.byte() % 10) + "]:" + port;
    case 2:
        return "[fe80::" + std::to_string(in.byte() % 100) + ":1]:" + port;
    case 3:
        return "Backend-" + std::to_string(in.byte() % 20) + ".Example.com:" + port;
    default:
        return "10." + std::to_string(in.byte()) + ".0.1:" + port;
    }
}

std::string generateRoute(fuzz::ByteReader& in, const std::string& name) {
    switch (in.below(5)) {
    case 0:
        return "/";
    case 1:
        return "/" + name + "/v" + std::to_string(in.byte() % 4);
    case 2:
        return "/" + std::to_string(in.byte() % 8);
    case 3:
        return "/a\"b\\c'" + std::to_string(in.byte() % 4);  // needs quoting in TOML
    default:
        return "/" + name;
    }
}

void addUpstream(fuzz::ByteReader& in, ServiceConfig& service) {
    std::string address = generateAddress(in);
    if (checkUpstreamAddress(address))
        return;
    if (service.findUpstream(address))
        return;
    std::int64_t weight = in.flag() ? 1 : static_cast<std::int64_t>(in.u16() % 1000 + 1);
    auto at = service.upstreams.begin() +
              static_cast<std::ptrdiff_t>(in.below(service.upstreams.size() + 1));
    service.upstreams.insert(at, {address, weight});
}

ServiceConfig* pickService(fuzz::ByteReader& in, Config& config) {
    if (config.services.empty())
        return nullptr;
    return &config.services[in.below(config.services.size())];
}

// One change to `config`, chosen by the input. May leave it unchanged.
void change(fuzz::ByteReader& in, Config& config) {
    switch (in.below(10)) {
    case 0:
        if (ServiceConfig* service = pickService(in, config))
            addUpstream(in, *service);
        break;
    case 1:
        if (ServiceConfig* service = pickService(in, config);
            service && !service->upstreams.empty())
            service->upstreams.erase(
                service->upstreams.begin() +
                static_cast<std::ptrdiff_t>(in.below(service->upstreams.size())));
        break;
    case 2: {
        std::string name = generateName(in);
        if (checkServiceName(name) || config.findService(name))
            break;
        ServiceConfig service = makeDefaultService(name);
        std::size_t upstreams = in.below(4);
        for (std::size_t i = 0; i < upstreams; ++i)
            addUpstream(in, service);
        if (in.flag())
            service.route = generateRoute(in, name);
        config.addService(std::move(service));
        break;
    }
    case 3:
        if (!config.services.empty())
            config.services.erase(config.services.begin() +
                                  static_cast<std::ptrdiff_t>(in.below(config.services.size())));
        break;
    case 4:
        if (ServiceConfig* service = pickService(in, config);
            service && !service->upstreams.empty()) {
            UpstreamConfig& upstream = service->upstreams[in.below(service->upstreams.size())];
            if (in.flag())
                upstream.weight = static_cast<std::int64_t>(in.u16() % 1000 + 1);
            else  // drain, maint and back: the element is rewritten, its comment kept
                upstream.admin_state = static_cast<AdminState>(in.below(3));
        }
        break;
    case 5:
        if (ServiceConfig* service = pickService(in, config);
            service && service->upstreams.size() > 1)
            std::swap(service->upstreams[in.below(service->upstreams.size())],
                      service->upstreams[in.below(service->upstreams.size())]);
        break;
    case 6:
        if (ServiceConfig* service = pickService(in, config)) {
            switch (in.below(6)) {
            case 0:
                service->route = generateRoute(in, service->name);
                break;
            case 1:
                service->host =
                    in.flag() ? "" : "Host" + std::to_string(in.byte() % 3) + ".example";
                break;
            case 2:
                service->strategy = kStrategies[in.below(std::size(kStrategies))];
                break;
            case 3:
                service->strip_prefix = !service->strip_prefix;
                break;
            case 4:
                service->hash_key =
                    in.flag() ? "client_ip" : "header:X-Key" + std::to_string(in.byte() % 3);
                break;
            default:
                if (service->health_check && in.flag()) {
                    service->health_check.reset();
                } else {
                    HealthCheckConfig check;
                    check.path = "/health" + std::to_string(in.byte() % 3);
                    check.interval_ms = 10 + in.u16();
                    check.rise = 1 + in.below(100);
                    service->health_check = check;
                }
                break;
            }
        }
        break;
    case 7:
        switch (in.below(4)) {
        case 0:
            config.proxy.retries = static_cast<std::int64_t>(in.below(101));
            break;
        case 1:
            config.proxy.client_timeout_ms = 1 + in.u16();
            break;
        case 2:
            config.admin.token = in.flag() ? "" : "tok\"en" + std::to_string(in.byte());
            break;
        default:
            config.proxy.access_log = in.flag() ? "-" : "/var/log/switchboard/access.log";
            break;
        }
        break;
    default:
        break;  // no change at all: the text must come back as it was
    }
}

std::vector<std::string> commentLines(std::string_view text) {
    std::vector<std::string> lines;
    if (text.find("\"\"\"") != std::string_view::npos || text.find("'''") != std::string_view::npos)
        return lines;  // a '#' line may be inside a multi-line string
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        std::size_t first = line.find_first_not_of(" \t");
        if (first != std::string_view::npos && line[first] == '#')
            lines.emplace_back(line.substr(first));
        start = end + 1;
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::ByteReader in(data, size);
    std::uint8_t choice = in.byte();
    std::string text = kBaseFiles[choice % std::size(kBaseFiles)];
    std::string_view rest(reinterpret_cast<const char*>(data) + (size ? 1 : 0),
                          size ? size - 1 : 0);
    if (choice & 0x80) {
        std::size_t nul = rest.find('\0');
        std::string_view candidate = rest.substr(0, nul);
        if (parseConfigText(candidate, "input.toml").config)
            text = candidate;
        // The changes start after the NUL (or there are none).
        in.bytes(nul == std::string_view::npos ? rest.size() : nul + 1);
    }
    ConfigParse parse = parseConfigText(text, "start.toml");
    FUZZ_CHECK(parse.config.has_value(), "start", text);
    Config current = *parse.config;

    for (int step = 0; step < 8 && !in.empty(); ++step) {
        Config target = current;
        change(in, target);
        // A target the file could not hold (a bad value, two services on one route) is
        // refused by the admin API before the editor sees it.
        ConfigParse rendered = parseConfigText(renderConfig(target), "target.toml");
        if (!rendered.config || !(byName(*rendered.config) == byName(target)))
            continue;
        ConfigEditResult result = editConfigText(text, current, target);
        ConfigParse reread = parseConfigText(result.text, "edited.toml");
        std::string errors;
        for (const auto& error : reread.errors)
            errors += error.toString() + "\n";
        FUZZ_CHECK(reread.config.has_value(), "before", text, "after", result.text, "errors",
                   errors);
        FUZZ_CHECK(byName(*reread.config) == byName(target), "before", text, "after", result.text,
                   "target", renderConfig(target));
        if (byName(target) == byName(current) && !text.empty())
            FUZZ_CHECK(result.edited_in_place && result.text == text, "before", text, "after",
                       result.text);
        if (result.edited_in_place) {
            // Every line that held only a comment is still there, as often.
            std::vector<std::string> before = commentLines(text);
            std::vector<std::string> after = commentLines(result.text);
            std::vector<std::string> lost;
            std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                                std::back_inserter(lost));
            std::string lost_text;
            for (const auto& line : lost)
                lost_text += line + "\n";
            FUZZ_CHECK(lost.empty(), "before", text, "after", result.text, "lost", lost_text);
        } else {
            FUZZ_CHECK(result.text == renderConfig(target), "before", text, "after", result.text);
        }
        text = std::move(result.text);
        current = *reread.config;
    }
    return 0;
}
