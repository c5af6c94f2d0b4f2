// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/admin/admin_json.h"
#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

JsonInput<ServiceConfig> parseService(const std::string& body, const std::string& name = "apiA") {
    auto object = parseJsonObject(body);
    EXPECT_TRUE(object) << object.error;
    if (!object)
        return {};
    return parseServiceJson(name, object.value->get());
}

// The error of a body that must be refused, as "field|message".
std::string refusal(const std::string& body) {
    auto parsed = parseService(body);
    EXPECT_FALSE(parsed) << body;
    return parsed.field + "|" + parsed.error;
}

}  // namespace

TEST(ParseJsonObject, RefusesWhatIsNotOneObject) {
    EXPECT_TRUE(parseJsonObject(R"( {"a": 1} )"));
    for (const char* bad :
         {"", "   ", "{", "{\"a\":}", "[1]", "\"x\"", "1", "{} {}", "{}x", "null"}) {
        auto parsed = parseJsonObject(bad);
        EXPECT_FALSE(parsed) << bad;
        EXPECT_FALSE(parsed.error.empty()) << bad;
    }
    EXPECT_NE(parseJsonObject("{\"a\": tru}").error.find("malformed JSON"), std::string::npos);
    // A NUL would cut the string short: refused rather than truncated.
    EXPECT_FALSE(parseJsonObject(R"({"route": "/a\u0000b"})"));
}

TEST(ParseServiceJson, EmptyBodyGivesTheFileDefaults) {
    auto parsed = parseService("{}");
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_EQ(*parsed.value, makeDefaultService("apiA"));
}

TEST(ParseServiceJson, EveryKeyOfTheTomlTable) {
    auto parsed = parseService(R"({
        "name": "apiA", "route": "/a", "host": "Example.COM", "strategy": "consistent_hash",
        "strip_prefix": true, "hash_key": "header:X-User",
        "upstreams": ["127.0.0.1:3001", {"address": "[0:0::1]:3002", "weight": 2},
                      {"address": "Backend.local:80"}],
        "health_check": {"path": "/h", "interval_ms": 500, "timeout_ms": 100, "rise": 1, "fall": 5}
    })");
    ASSERT_TRUE(parsed) << parsed.error;
    const ServiceConfig& service = *parsed.value;
    EXPECT_EQ(service.name, "apiA");
    EXPECT_EQ(service.route, "/a");
    EXPECT_EQ(service.host, "Example.COM");
    EXPECT_EQ(service.strategy, "consistent_hash");
    EXPECT_TRUE(service.strip_prefix);
    EXPECT_EQ(service.hash_key, "header:X-User");
    ASSERT_EQ(service.upstreams.size(), 3u);
    EXPECT_EQ(service.upstreams[0], (UpstreamConfig{"127.0.0.1:3001", 1}));
    EXPECT_EQ(service.upstreams[1], (UpstreamConfig{"[::1]:3002", 2}));  // canonical
    EXPECT_EQ(service.upstreams[2], (UpstreamConfig{"backend.local:80", 1}));
    ASSERT_TRUE(service.health_check);
    EXPECT_EQ(*service.health_check, (HealthCheckConfig{"/h", 500, 100, 1, 5}));
}

TEST(ParseServiceJson, WrongTypesNameTheField) {
    EXPECT_EQ(refusal(R"({"route": 5})"), "route|route must be a string");
    EXPECT_EQ(refusal(R"({"strip_prefix": "yes"})"),
              "strip_prefix|strip_prefix must be true or false");
    EXPECT_EQ(refusal(R"({"upstreams": "127.0.0.1:1"})"), "upstreams|upstreams must be an array");
    EXPECT_EQ(refusal(R"({"upstreams": ["127.0.0.1:1", 7]})").substr(0, 13), "upstreams[1]|");
    EXPECT_EQ(refusal(R"({"upstreams": [{"address": "127.0.0.1:1", "weight": 2.5}]})"),
              "upstreams[0].weight|upstreams[0].weight must be an integer");
    EXPECT_EQ(refusal(R"({"upstreams": [{"address": "127.0.0.1:1", "weight": "2"}]})"),
              "upstreams[0].weight|upstreams[0].weight must be an integer");
    EXPECT_EQ(refusal(R"({"upstreams": [{"weight": 2}]})"),
              "upstreams[0].address|upstreams[0] needs an address");
    EXPECT_EQ(refusal(R"({"health_check": []})"),
              "health_check|health_check must be an object (or null)");
    EXPECT_EQ(refusal(R"({"health_check": {"rise": true}})"),
              "health_check.rise|health_check.rise must be an integer");
    EXPECT_EQ(refusal(R"({"host": null})"), "host|host must be a string");
}

TEST(ParseServiceJson, ValuesAreCheckedLikeTheFile) {
    EXPECT_EQ(refusal(R"({"route": "apiA"})"),
              "route|route: invalid route 'apiA': must start with '/'");
    EXPECT_EQ(refusal(R"({"strategy": "fastest"})").substr(0, 9), "strategy|");
    EXPECT_EQ(refusal(R"({"hash_key": "cookie"})").substr(0, 9), "hash_key|");
    EXPECT_EQ(refusal(R"({"host": "a b"})").substr(0, 5), "host|");
    EXPECT_EQ(refusal(R"({"upstreams": [{"address": "127.0.0.1:1", "weight": 0}]})"),
              "upstreams[0].weight|upstreams[0].weight: invalid weight 0: must be an integer from "
              "1 to 1000");
    EXPECT_EQ(
        refusal(R"({"upstreams": [{"address": "127.0.0.1:1", "weight": 1001}]})").substr(0, 20),
        "upstreams[0].weight|");
    EXPECT_EQ(refusal(R"({"upstreams": ["127.0.0.1:0"]})").substr(0, 13), "upstreams[0]|");
    EXPECT_EQ(refusal(R"({"upstreams": ["bad_host:80"]})").substr(0, 13), "upstreams[0]|");
    EXPECT_EQ(refusal(R"({"upstreams": ["127.0.0.1:1", "127.0.0.1:1"]})"),
              "upstreams[1]|upstreams[1]: duplicate upstream '127.0.0.1:1' in service 'apiA'");
    EXPECT_EQ(
        refusal(R"({"health_check": {"interval_ms": 5}})"),
        "health_check.interval_ms|health_check.interval_ms must be from 10 to 3600000, not 5");
    EXPECT_EQ(refusal(R"({"health_check": {"path": "healthz"}})").substr(0, 18),
              "health_check.path|");
}

TEST(ParseServiceJson, UnknownRepeatedAndMismatchedKeysAreErrors) {
    EXPECT_EQ(refusal(R"({"rout": "/a"})"), "rout|unknown key 'rout'");
    EXPECT_EQ(refusal(R"({"route": "/a", "route": "/b"})"), "route|duplicate key 'route'");
    EXPECT_EQ(refusal(R"({"upstreams": [{"address": "127.0.0.1:1", "wieght": 2}]})"),
              "upstreams[0].wieght|unknown key 'upstreams[0].wieght'");
    EXPECT_EQ(refusal(R"({"health_check": {"interval": 5}})"),
              "health_check.interval|unknown key 'health_check.interval'");
    EXPECT_EQ(refusal(R"({"name": "other"})").substr(0, 5), "name|");
}

TEST(ParseServiceJson, NullHealthCheckMeansNone) {
    auto parsed = parseService(R"({"health_check": null})");
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed.value->health_check);
}

// The JSON loader and the file loader accept exactly the same health-check numbers.
TEST(ParseServiceJson, HealthCheckLimitsAgreeWithTheFileLoader) {
    struct Case {
        const char* key;
        std::int64_t value;
    };
    const Case cases[] = {{"interval_ms", 9},
                          {"interval_ms", 10},
                          {"interval_ms", 3600000},
                          {"interval_ms", 3600001},
                          {"timeout_ms", 0},
                          {"timeout_ms", 1},
                          {"timeout_ms", 3600000},
                          {"timeout_ms", 3600001},
                          {"rise", 0},
                          {"rise", 1},
                          {"rise", 100},
                          {"rise", 101},
                          {"fall", 0},
                          {"fall", 100},
                          {"fall", 101}};
    for (const auto& c : cases) {
        std::string value = std::to_string(c.value);
        auto from_json =
            parseService(std::string(R"({"health_check": {")") + c.key + "\": " + value + "}}");
        auto from_file = parseConfigText(std::string("[services.apiA]\nupstreams = []\n"
                                                     "[services.apiA.health_check]\n") +
                                             c.key + " = " + value + "\n",
                                         "t.toml");
        EXPECT_EQ(static_cast<bool>(from_json), from_file.config.has_value())
            << c.key << "=" << value;
    }
}

TEST(ParseUpstreamJson, AddressAndOptionalWeight) {
    auto body = parseJsonObject(R"({"address": "[::1]:80", "weight": 3})");
    auto parsed = parseUpstreamJson(body.value->get());
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_EQ(parsed.value->address, "[::1]:80");
    EXPECT_EQ(parsed.value->weight, 3);

    body = parseJsonObject(R"({"address": "127.0.0.1:80"})");
    parsed = parseUpstreamJson(body.value->get());
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed.value->weight);

    for (auto [text, field] : std::vector<std::pair<const char*, const char*>>{
             {R"({})", "address"},
             {R"({"weight": 2})", "address"},
             {R"({"address": 80})", "address"},
             {R"({"address": "127.0.0.1"})", "address"},
             {R"({"address": "127.0.0.1:80", "weight": "2"})", "weight"},
             {R"({"address": "127.0.0.1:80", "weight": 0})", "weight"},
             {R"({"address": "127.0.0.1:80", "extra": 1})", "extra"}}) {
        auto object = parseJsonObject(text);
        auto refused = parseUpstreamJson(object.value->get());
        EXPECT_FALSE(refused) << text;
        EXPECT_EQ(refused.field, field) << text;
    }
}

TEST(ServiceJson, ConfigJsonRoundTripsThroughTheParser) {
    auto parsed = parseService(R"({"route": "/a", "strategy": "least_conn",
        "upstreams": ["127.0.0.1:1", {"address": "127.0.0.1:2", "weight": 7}],
        "health_check": {"path": "/h"}})");
    ASSERT_TRUE(parsed);
    std::string text = serviceConfigText(&*parsed.value);
    auto again = parseService(text);
    ASSERT_TRUE(again) << again.error << "\n" << text;
    EXPECT_EQ(*again.value, *parsed.value);
    EXPECT_EQ(serviceConfigText(nullptr), "null");
}

TEST(ServiceJson, StateShowsRunTimeOfRunningUpstreamsAndFreshOnesAsUp) {
    Config config;
    ServiceConfig service = makeDefaultService("apiA");
    service.upstreams = {{"127.0.0.1:1", 1}, {"127.0.0.1:2", 3}};
    config.services = {service};
    Registry registry;
    registry.apply(config);
    auto pool = registry.find("apiA");
    pool->upstreams()[0]->in_flight = 2;
    pool->upstreams()[0]->requests = 40;
    pool->upstreams()[0]->stats.responses[5].add(3);
    pool->upstreams()[0]->stats.responses[0].add(2);  // failures are not 5xx answers

    ServiceConfig candidate = service;
    candidate.upstreams.push_back({"127.0.0.1:3", 1});
    JsonObject state(serviceStateJson(candidate, pool.get()));
    EXPECT_EQ(
        state.toString(),
        R"({"name":"apiA","route":"/apiA","host":"","strategy":"round_robin",)"
        R"("strip_prefix":false,"hash_key":"client_ip","upstream_host":"client","slow_start_ms":0,"upstreams":[)"
        R"({"address":"127.0.0.1:1","weight":1,"state":"up","admin_state":"active",)"
        R"("in_flight":2,"requests":40,"responses_5xx":3},)"
        R"({"address":"127.0.0.1:2","weight":3,"state":"up","admin_state":"active",)"
        R"("in_flight":0,"requests":0,"responses_5xx":0},)"
        R"({"address":"127.0.0.1:3","weight":1,"state":"up","admin_state":"active",)"
        R"("in_flight":0,"requests":0,"responses_5xx":0}]})");

    pool->upstreams()[1]->draining = true;
    JsonObject draining(serviceStateJson(service, pool.get()));
    EXPECT_NE(draining.toString().find(R"("address":"127.0.0.1:2","weight":3,"state":"draining")"),
              std::string::npos);
}

TEST(AdminJson, AdminStateIsShownApartFromHealth) {
    Config config;
    ServiceConfig service = makeDefaultService("apiA");
    service.upstreams = {{"127.0.0.1:1", 1, AdminState::Drain}, {"127.0.0.1:2", 1}};
    config.services = {service};
    Registry registry;
    registry.apply(config);
    auto pool = registry.find("apiA");
    pool->upstreams()[1]->health_check_down = true;
    JsonObject state(serviceStateJson(service, pool.get()));
    EXPECT_NE(state.toString().find(
                  R"({"address":"127.0.0.1:1","weight":1,"state":"up","admin_state":"drain",)"),
              std::string::npos)
        << state.toString();
    EXPECT_NE(state.toString().find(
                  R"({"address":"127.0.0.1:2","weight":1,"state":"down","admin_state":"active",)"),
              std::string::npos)
        << state.toString();
}

TEST(AdminJson, UpstreamPatchTakesWeightAndAdminStateOnly) {
    auto patch = [](const std::string& text) {
        auto body = parseJsonObject(text);
        EXPECT_TRUE(body) << text;
        return parseUpstreamPatchJson(body.value->get());
    };
    auto both = patch(R"({"weight": 3, "admin_state": "maint"})");
    ASSERT_TRUE(both) << both.error;
    UpstreamConfig upstream{"127.0.0.1:1", 1};
    both.value->applyTo(upstream);
    EXPECT_EQ(upstream.weight, 3);
    EXPECT_EQ(upstream.admin_state, AdminState::Maint);
    auto empty = patch("{}");
    ASSERT_TRUE(empty);
    empty.value->applyTo(upstream);
    EXPECT_EQ(upstream, (UpstreamConfig{"127.0.0.1:1", 3, AdminState::Maint}));

    for (auto [text, field] : std::vector<std::pair<std::string, std::string>>{
             {R"({"weight": 0})", "weight"},
             {R"({"weight": "3"})", "weight"},
             {R"({"weight": 2.5})", "weight"},
             {R"({"admin_state": "down"})", "admin_state"},
             {R"({"admin_state": 1})", "admin_state"},
             {R"({"address": "127.0.0.1:1"})", "address"},
             {R"({"weight": 2, "weight": 3})", "weight"}}) {
        auto refused = patch(text);
        EXPECT_FALSE(refused) << text;
        EXPECT_EQ(refused.field, field) << text;
    }
    EXPECT_EQ(patch(R"({"admin_state": "down"})").error,
              "admin_state: invalid admin_state 'down': must be \"active\", \"drain\" or "
              "\"maint\"");
}

TEST(AdminJson, BodiesWithUpstreamObjectsTakeAdminState) {
    auto body = parseJsonObject(
        R"({"upstreams": [{"address": "127.0.0.1:1", "admin_state": "drain"}, "127.0.0.1:2"]})");
    auto service = parseServiceJson("apiA", body.value->get());
    ASSERT_TRUE(service) << service.error;
    EXPECT_EQ(service.value->upstreams[0].admin_state, AdminState::Drain);
    EXPECT_EQ(service.value->upstreams[1].admin_state, AdminState::Active);
    auto bad =
        parseJsonObject(R"({"upstreams": [{"address": "127.0.0.1:1", "admin_state": "x"}]})");
    auto refused = parseServiceJson("apiA", bad.value->get());
    EXPECT_FALSE(refused);
    EXPECT_EQ(refused.field, "upstreams[0].admin_state");

    auto post = parseJsonObject(R"({"address": "127.0.0.1:1", "admin_state": "maint"})");
    auto request = parseUpstreamJson(post.value->get());
    ASSERT_TRUE(request);
    EXPECT_EQ(request.value->admin_state, AdminState::Maint);
    EXPECT_FALSE(request.value->weight);
}

TEST(AdminJson, EtagFollowsTheConfigurationOnly) {
    ServiceConfig service = makeDefaultService("apiA");
    service.upstreams = {{"127.0.0.1:1", 1}};
    const std::string etag = serviceEtag(service);
    EXPECT_EQ(etag.size(), 18u);
    EXPECT_EQ(etag.front(), '"');
    EXPECT_EQ(etag.back(), '"');
    EXPECT_EQ(serviceEtag(service), etag);
    ServiceConfig changed = service;
    changed.upstreams[0].admin_state = AdminState::Drain;
    EXPECT_NE(serviceEtag(changed), etag);
    changed = service;
    changed.upstreams[0].weight = 2;
    EXPECT_NE(serviceEtag(changed), etag);

    EXPECT_TRUE(ifMatchHolds(etag, &etag));
    EXPECT_TRUE(ifMatchHolds("*", &etag));
    EXPECT_TRUE(ifMatchHolds(R"("0000000000000000", )" + etag, &etag));
    EXPECT_FALSE(ifMatchHolds(R"("0000000000000000")", &etag));
    EXPECT_FALSE(ifMatchHolds("W/" + etag, &etag));
    EXPECT_FALSE(ifMatchHolds(etag.substr(1, 16), &etag));  // unquoted
    EXPECT_FALSE(ifMatchHolds("*", nullptr));
    EXPECT_FALSE(ifMatchHolds("", &etag));
}
