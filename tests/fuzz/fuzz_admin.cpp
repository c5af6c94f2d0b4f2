// SPDX-License-Identifier: Apache-2.0
// The admin port's input (SPEC §5): request bodies and request paths. The first input byte
// picks which; the rest is the body or the request target.
//
// Bodies: any bytes are a JSON object or a 400 message, never a crash. A service body that is
// accepted must mean a service the config file can hold: rendered into a file it parses back
// to the same service (the file and the API accept exactly the same things), and its JSON as
// the API writes it (serviceConfigJson) is accepted again as the same service.
//
// Paths: the admin API decodes request targets with libevent (evhttp_uri_parse_with_flags as
// evhttp does, then evhttp_uridecode per path segment) and checks the segments with the
// file's own checks. The splitting itself (pathSegments in admin/admin_call.cpp) takes a live
// evhttp_request, so this part runs the libevent calls and the checks it is made of.
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "switchboard/admin/admin_json.h"
#include "switchboard/config/config_file.h"
#include "switchboard/net/net_address.h"

using namespace switchboard;

namespace {

void fuzzServiceBody(std::string_view input, const cJSON* body) {
    auto service = parseServiceJson("apiA", body);
    FUZZ_CHECK(service.value.has_value() == service.error.empty(), "input", input);
    if (!service)
        return;
    const ServiceConfig& parsed = *service.value;
    FUZZ_CHECK(parsed.name == "apiA", "input", input);

    // The file holds what the API accepted, and reads it back the same.
    Config config;
    config.services.push_back(parsed);
    std::string problems;
    for (const auto& problem : checkCrossReferences(config))
        problems += problem.message + "\n";
    FUZZ_CHECK(problems.empty(), "input", input, "problems", problems);
    std::string file = renderConfig(config);
    ConfigParse reread = parseConfigText(file, "admin.toml");
    std::string errors;
    for (const auto& error : reread.errors)
        errors += error.toString() + "\n";
    FUZZ_CHECK(reread.config.has_value(), "input", input, "file", file, "errors", errors);
    FUZZ_CHECK(*reread.config == config, "input", input, "file", file);

    // What the API answers about the service is a body it accepts as the same service.
    std::string answer = JsonObject(serviceConfigJson(parsed)).toString();
    auto again = parseJsonObject(answer);
    FUZZ_CHECK(again.value.has_value(), "input", input, "answer", answer, "error", again.error);
    auto reparsed = parseServiceJson("apiA", again.value->get());
    FUZZ_CHECK(reparsed.value.has_value(), "input", input, "answer", answer, "error",
               reparsed.error);
    FUZZ_CHECK(*reparsed.value == parsed, "input", input, "answer", answer);
}

void fuzzUpstreamBody(std::string_view input, const cJSON* body) {
    auto request = parseUpstreamJson(body);
    FUZZ_CHECK(request.value.has_value() == request.error.empty(), "input", input);
    if (!request)
        return;
    // The address is canonical already: checking it again changes nothing.
    std::string address = request.value->address;
    FUZZ_CHECK(!checkUpstreamAddress(address) && address == request.value->address, "input", input,
               "address", request.value->address);
    if (request.value->weight)
        FUZZ_CHECK(!checkWeight(*request.value->weight), "input", input);
}

void fuzzBody(std::string_view input) {
    auto object = parseJsonObject(input);
    FUZZ_CHECK(object.value.has_value() == object.error.empty(), "input", input);
    if (!object)
        return;
    FUZZ_CHECK(cJSON_IsObject(object.value->get()), "input", input);
    fuzzServiceBody(input, object.value->get());
    fuzzUpstreamBody(input, object.value->get());
}

// A path segment as the admin API would see it: a service name, an address, or neither.
void checkSegment(std::string_view input, const std::string& segment) {
    if (!checkServiceName(segment)) {
        FUZZ_CHECK(segment != "." && segment != ".." && segment.find('/') == std::string::npos &&
                       !segment.empty() && segment.size() <= 64,
                   "input", input, "segment", segment);
    }
    std::string address = segment;
    if (!checkUpstreamAddress(address)) {
        auto parsed = parseHostPort(address);
        FUZZ_CHECK(parsed.ok() && parsed->toString() == address, "input", input, "segment",
                   segment);
    }
}

void fuzzTarget(std::string_view input) {
    std::string target(input);  // evhttp hands the parser a NUL-terminated copy too
    evhttp_uri* uri = evhttp_uri_parse_with_flags(target.c_str(), EVHTTP_URI_NONCONFORMANT);
    if (!uri)
        return;
    if (const char* path = evhttp_uri_get_path(uri)) {
        std::string_view rest = path;
        while (!rest.empty()) {
            auto slash = rest.find('/');
            std::string encoded(rest.substr(0, slash));
            rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
            std::size_t length = 0;
            char* decoded = evhttp_uridecode(encoded.c_str(), 0, &length);
            if (!decoded)
                continue;
            std::string segment(decoded, length);
            std::free(decoded);
            if (segment.find('\0') == std::string::npos)
                checkSegment(input, segment);
        }
    }
    if (const char* query = evhttp_uri_get_query(uri)) {
        evkeyvalq parameters;
        if (evhttp_parse_query_str(query, &parameters) == 0)
            evhttp_clear_headers(&parameters);
    }
    evhttp_uri_free(uri);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::ByteReader reader(data, size);
    std::uint8_t mode = reader.byte();
    std::string_view rest = reader.rest();
    if (mode & 1) {
        fuzzTarget(rest);
    } else {
        // A copy of exactly the body's size, not NUL-terminated: ASan sees a read past its end.
        std::vector<char> owned(rest.begin(), rest.end());
        fuzzBody(std::string_view(owned.data(), owned.size()));
    }
    return 0;
}
