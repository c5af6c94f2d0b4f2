// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

std::string readData(const std::string& name) {
    std::ifstream in(std::string(SWITCHBOARD_TEST_DATA) + "/" + name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

ConfigParse parseData(const std::string& name) {
    return parseConfigText(readData(name), name);
}

}  // namespace

TEST(ConfigFile, EmptyTextGivesBuiltInDefaults) {
    auto parse = parseConfigText("", "empty.toml");
    ASSERT_TRUE(parse.config) << parse.errors[0].toString();
    EXPECT_EQ(*parse.config, Config{});
    EXPECT_EQ(parse.config->proxy.listen, std::vector<std::string>{"127.0.0.1:6188"});
    EXPECT_EQ(parse.config->admin.listen, std::vector<std::string>{"127.0.0.1:8080"});
    EXPECT_EQ(parse.config->proxy.retries, 2);
    EXPECT_TRUE(parse.config->services.empty());
}

TEST(ConfigFile, FullExampleParses) {
    auto parse = parseData("good/full.toml");
    ASSERT_TRUE(parse.config) << parse.errors[0].toString();
    const Config& config = *parse.config;
    EXPECT_EQ(config.proxy.listen.size(), 2u);
    EXPECT_EQ(config.proxy.listen[1], "[::1]:6188");
    ASSERT_EQ(config.services.size(), 2u);
    const auto& apiA = config.services[0];
    EXPECT_EQ(apiA.name, "apiA");
    ASSERT_EQ(apiA.upstreams.size(), 2u);
    EXPECT_EQ(apiA.upstreams[1].address, "127.0.0.1:3002");
    EXPECT_EQ(apiA.upstreams[1].weight, 2);
    ASSERT_TRUE(apiA.health_check);
    EXPECT_EQ(apiA.health_check->fall, 3);
    EXPECT_EQ(config.services[1].route, "/apiB");
}

TEST(ConfigFile, ShippedExampleIsValid) {
    std::ifstream in(std::string(SWITCHBOARD_TEST_DATA) + "/../../etc/switchboard.toml");
    std::ostringstream text;
    text << in.rdbuf();
    auto parse = parseConfigText(text.str(), "etc/switchboard.toml");
    ASSERT_TRUE(parse.config);
    ASSERT_EQ(parse.config->services.size(), 2u);
    EXPECT_EQ(parse.config->services[0].name, "apiA");
    EXPECT_EQ(parse.config->services[1].name, "apiB");
    EXPECT_EQ(parse.config->proxy.listen[0], "127.0.0.1:6188");
    EXPECT_EQ(parse.config->admin.listen[0], "127.0.0.1:8080");
}

struct BadFile {
    const char* name;
    int line;
    int column;
    const char* fragment;
};

class ConfigFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(ConfigFileErrors, ReportLineColumnAndMessage) {
    const BadFile& bad = GetParam();
    std::string file = std::string("bad/") + bad.name + ".toml";
    auto parse = parseData(file);
    ASSERT_FALSE(parse.config) << file;
    ASSERT_FALSE(parse.errors.empty());
    const auto& error = parse.errors[0];
    EXPECT_EQ(error.file, file);
    EXPECT_EQ(error.line, bad.line) << error.toString();
    EXPECT_EQ(error.column, bad.column) << error.toString();
    EXPECT_NE(error.message.find(bad.fragment), std::string::npos) << error.toString();
    EXPECT_EQ(error.toString().rfind(file + ":" + std::to_string(bad.line) + ":" +
                                         std::to_string(bad.column) + ": ",
                                     0),
              0u)
        << error.toString();
}

INSTANTIATE_TEST_SUITE_P(
    BadFiles, ConfigFileErrors,
    ::testing::Values(BadFile{"syntax_error", 2, 25, "string"},
                      BadFile{"unknown_top_key", 4, 2, "unknown key 'prxy'"},
                      BadFile{"unknown_proxy_key", 3, 1, "unknown key 'proxy.retires'"},
                      BadFile{"unknown_service_key", 2, 1, "unknown key 'services.apiA.upstream'"},
                      BadFile{"bad_service_name", 1, 11, "invalid service name"},
                      BadFile{"bad_upstream_port", 3, 14, "port"},
                      BadFile{"bad_upstream_host", 2, 14, "invalid hostname"},
                      BadFile{"duplicate_upstream", 2, 32, "duplicate upstream '127.0.0.1:3001'"},
                      BadFile{"bad_route", 2, 9, "must start with '/'"},
                      BadFile{"bad_weight", 2, 53, "weight"},
                      BadFile{"float_weight", 2, 53, "must be an integer"},
                      BadFile{"bad_strategy", 2, 12, "unknown strategy 'fastest'"},
                      BadFile{"wrong_type", 2, 11, "proxy.retries must be an integer"},
                      BadFile{"bad_listen", 2, 10, "expected host:port"},
                      BadFile{"same_route", 5, 9, "already claimed"},
                      BadFile{"bad_hash_key", 3, 12, "hash_key"},
                      BadFile{"unknown_health_key", 3, 1, "intervall_ms"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigFile, ReportsEveryErrorNotJustTheFirst) {
    auto parse = parseConfigText("[proxy]\nretries = -1\nbogus = 1\n[services.a]\nroute = \"x\"\n",
                                 "many.toml");
    ASSERT_FALSE(parse.config);
    ASSERT_EQ(parse.errors.size(), 3u);
    EXPECT_EQ(parse.errors[0].line, 2);
    EXPECT_EQ(parse.errors[1].line, 3);
    EXPECT_EQ(parse.errors[2].line, 5);
}

TEST(ConfigFile, RenderedConfigParsesBackToItself) {
    auto parse = parseData("good/full.toml");
    ASSERT_TRUE(parse.config);
    Config config = *parse.config;
    config.proxy.retries = 5;
    config.admin.token = "quote\"and\\slash";
    config.services[1].strip_prefix = true;
    config.services[1].host = "example.com";
    auto again = parseConfigText(renderConfig(config), "rendered.toml");
    ASSERT_TRUE(again.config) << again.errors[0].toString();
    EXPECT_EQ(*again.config, config);
}

TEST(ConfigFile, UpstreamAddressesAreStoredCanonically) {
    auto parse = parseConfigText("[services.a]\nupstreams = [\"[0::1]:80\", \"HOST.example:81\"]\n",
                                 "x.toml");
    ASSERT_TRUE(parse.config);
    EXPECT_EQ(parse.config->services[0].upstreams[0].address, "[::1]:80");
    EXPECT_EQ(parse.config->services[0].upstreams[1].address, "host.example:81");
}

TEST(ConfigFile, ServiceNamesWithDotsRenderQuoted) {
    Config config;
    ServiceConfig service = makeDefaultService("api.v1");
    service.health_check = HealthCheckConfig{};
    config.addService(service);
    std::string text = renderConfig(config);
    EXPECT_NE(text.find("[services.\"api.v1\"]"), std::string::npos) << text;
    auto again = parseConfigText(text, "dots.toml");
    ASSERT_TRUE(again.config) << again.errors[0].toString();
    EXPECT_EQ(*again.config, config);
}

// SPEC §9: [proxy] workers = 1..256 or "auto".
TEST(ConfigFile, WorkersTakesACountOrAuto) {
    EXPECT_EQ(Config{}.proxy.workers, 1);
    struct Good {
        const char* value;
        std::int64_t workers;
    };
    for (const Good& good :
         {Good{"1", 1}, Good{"4", 4}, Good{"256", kMaxWorkers}, Good{"\"auto\"", kWorkersAuto}}) {
        auto parse = parseConfigText(std::string("[proxy]\nworkers = ") + good.value + "\n", "w");
        ASSERT_TRUE(parse.config) << good.value << ": " << parse.errors[0].toString();
        EXPECT_EQ(parse.config->proxy.workers, good.workers) << good.value;
    }
}

TEST(ConfigFile, WorkersOutOfRangeOrNotACountIsAnErrorAtTheValue) {
    struct Bad {
        const char* value;
        const char* fragment;
    };
    for (const Bad& bad : {Bad{"0", "from 1 to 256, not 0"}, Bad{"257", "from 1 to 256, not 257"},
                           Bad{"-4", "not -4"}, Bad{"\"many\"", "or \"auto\", not \"many\""},
                           Bad{"\"AUTO\"", "not \"AUTO\""}, Bad{"2.0", "or \"auto\""},
                           Bad{"true", "or \"auto\""}, Bad{"[2]", "or \"auto\""}}) {
        auto parse =
            parseConfigText(std::string("[proxy]\nworkers = ") + bad.value + "\n", "workers.toml");
        ASSERT_FALSE(parse.config) << bad.value;
        ASSERT_EQ(parse.errors.size(), 1u) << bad.value;
        const auto& error = parse.errors[0];
        EXPECT_EQ(error.line, 2) << error.toString();
        EXPECT_EQ(error.column, 11) << error.toString();
        EXPECT_NE(error.message.find("proxy.workers"), std::string::npos) << error.toString();
        EXPECT_NE(error.message.find(bad.fragment), std::string::npos) << error.toString();
    }
}

TEST(ConfigFile, WorkersRendersAsWrittenAndParsesBack) {
    Config config;
    EXPECT_EQ(renderConfig(config).find("workers"), std::string::npos)
        << "the default is left out like every default";
    config.proxy.workers = kWorkersAuto;
    std::string text = renderConfig(config);
    EXPECT_NE(text.find("workers = \"auto\"\n"), std::string::npos) << text;
    auto again = parseConfigText(text, "rendered.toml");
    ASSERT_TRUE(again.config) << again.errors[0].toString();
    EXPECT_EQ(again.config->proxy.workers, kWorkersAuto);
    config.proxy.workers = 8;
    text = renderConfig(config);
    EXPECT_NE(text.find("workers = 8\n"), std::string::npos) << text;
    EXPECT_EQ(parseConfigText(text, "rendered.toml").config, config);
}

TEST(ConfigFile, TlsListenersAndCertificates) {
    auto parse = parseConfigText("[proxy]\n"
                                 "tls_listen = [\"127.0.0.1:6443\", \"[::1]:6443\"]\n"
                                 "tls_handshake_timeout_ms = 500\n"
                                 "[[proxy.certificates]]\n"
                                 "cert = \"/etc/tls/a.crt\"\nkey = \"/etc/tls/a.key\"\n"
                                 "[[proxy.certificates]]\n"
                                 "cert = \"b.crt\"\nkey = \"keys/b.key\"\n",
                                 "/etc/switchboard/switchboard.toml");
    ASSERT_TRUE(parse.config) << parse.errors[0].toString();
    const auto& proxy = parse.config->proxy;
    EXPECT_EQ(proxy.tls_listen, (std::vector<std::string>{"127.0.0.1:6443", "[::1]:6443"}));
    EXPECT_EQ(proxy.tls_handshake_timeout_ms, 500);
    ASSERT_EQ(proxy.certificates.size(), 2u);
    EXPECT_EQ(proxy.certificates[0].cert, "/etc/tls/a.crt");
    // Kept as written (relative ones are resolved when the files are read).
    EXPECT_EQ(proxy.certificates[1].cert, "b.crt");
    EXPECT_EQ(proxy.certificates[1].key, "keys/b.key");
    // The rendered config reads back the same.
    auto again = parseConfigText(renderConfig(*parse.config), "again.toml");
    ASSERT_TRUE(again.config) << again.errors[0].toString() << "\n" << renderConfig(*parse.config);
    EXPECT_EQ(*again.config, *parse.config);
    // An empty array is no TLS listener.
    auto none = parseConfigText("[proxy]\ntls_listen = []\n", "none.toml");
    ASSERT_TRUE(none.config) << none.errors[0].toString();
    EXPECT_TRUE(none.config->proxy.tls_listen.empty());
}

TEST(ConfigFile, TlsMistakesAreErrorsWithPositions) {
    auto errorsOf = [](const std::string& text) {
        std::string all;
        for (const auto& error : parseConfigText(text, "t.toml").errors)
            all += error.toString() + "\n";
        return all;
    };
    EXPECT_EQ(errorsOf("[proxy]\ntls_listen = \"127.0.0.1:6443\"\n"),
              "t.toml:2:14: proxy.tls_listen needs at least one [[proxy.certificates]] entry\n");
    EXPECT_EQ(errorsOf("[proxy]\nlisten = \"127.0.0.1:6443\"\ntls_listen = \"127.0.0.1:6443\"\n"
                       "[[proxy.certificates]]\ncert = \"a\"\nkey = \"b\"\n"),
              "t.toml:3:14: proxy.tls_listen: 127.0.0.1:6443 is also in proxy.listen\n");
    EXPECT_EQ(errorsOf("[proxy]\ntls_listen = \"nowhere\"\n[[proxy.certificates]]\n"
                       "cert = \"a\"\nkey = \"b\"\n")
                  .substr(0, 12),
              "t.toml:2:14:");
    EXPECT_EQ(errorsOf("[[proxy.certificates]]\ncert = \"a\"\n"),
              "t.toml:1:1: [[proxy.certificates]] needs both cert and key\n");
    EXPECT_EQ(errorsOf("[[proxy.certificates]]\ncert = \"a\"\nkey = 3\n"),
              "t.toml:1:1: [[proxy.certificates]] needs both cert and key\n"
              "t.toml:3:7: proxy.certificates[].key must be a string\n");
    EXPECT_EQ(errorsOf("[proxy]\ncertificates = \"a\"\n"),
              "t.toml:2:16: proxy.certificates must be an array of tables "
              "([[proxy.certificates]] with cert and key)\n");
    EXPECT_EQ(errorsOf("[proxy]\ntls_handshake_timeout_ms = 0\n"),
              "t.toml:2:28: proxy.tls_handshake_timeout_ms must be from 1 to 86400000, not 0\n");
}

// SPEC §10: [proxy] tunnel_timeout_ms, an integer of milliseconds like the other timeouts.
TEST(ConfigFile, TunnelTimeoutDefaultsToAnHourAndRendersBack) {
    EXPECT_EQ(Config{}.proxy.tunnel_timeout_ms, 3'600'000);
    Config config;
    EXPECT_EQ(renderConfig(config).find("tunnel_timeout_ms"), std::string::npos);
    config.proxy.tunnel_timeout_ms = 300;
    std::string text = renderConfig(config);
    EXPECT_NE(text.find("tunnel_timeout_ms = 300\n"), std::string::npos) << text;
    EXPECT_EQ(parseConfigText(text, "rendered.toml").config, config);
}

TEST(ConfigFile, TunnelTimeoutOutOfRangeIsAnErrorAtTheValue) {
    for (const char* value : {"0", "-1", "86400001", "\"1h\""}) {
        auto parse = parseConfigText(std::string("[proxy]\ntunnel_timeout_ms = ") + value + "\n",
                                     "tunnel.toml");
        ASSERT_FALSE(parse.config) << value;
        ASSERT_EQ(parse.errors.size(), 1u) << value;
        const auto& error = parse.errors[0];
        EXPECT_EQ(error.file, "tunnel.toml");
        EXPECT_EQ(error.line, 2) << error.toString();
        EXPECT_EQ(error.column, 21) << error.toString();
        EXPECT_NE(error.message.find("proxy.tunnel_timeout_ms"), std::string::npos)
            << error.toString();
    }
}

// SPEC §11: [proxy] drain_timeout_ms (0 allowed: removed at once) and a service's
// slow_start_ms (0 = off, up to an hour).
TEST(ConfigFile, DrainTimeoutAndSlowStartParseRenderAndRefuseBadValues) {
    EXPECT_EQ(Config{}.proxy.drain_timeout_ms, 30'000);
    EXPECT_EQ(makeDefaultService("x").slow_start_ms, 0);
    auto parse = parseConfigText(
        "[proxy]\ndrain_timeout_ms = 0\n[services.a]\nslow_start_ms = 30000\n", "t.toml");
    ASSERT_TRUE(parse.config) << (parse.errors.empty() ? "" : parse.errors[0].toString());
    EXPECT_EQ(parse.config->proxy.drain_timeout_ms, 0);
    EXPECT_EQ(parse.config->services[0].slow_start_ms, 30'000);
    const std::string text = renderConfig(*parse.config);
    EXPECT_NE(text.find("drain_timeout_ms = 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("slow_start_ms = 30000\n"), std::string::npos) << text;
    EXPECT_EQ(parseConfigText(text, "rendered.toml").config, parse.config);

    for (const char* bad :
         {"[proxy]\ndrain_timeout_ms = -1\n", "[proxy]\ndrain_timeout_ms = 86400001\n",
          "[services.a]\nslow_start_ms = 3600001\n", "[services.a]\nslow_start_ms = \"2s\"\n"}) {
        auto refused = parseConfigText(bad, "t.toml");
        ASSERT_EQ(refused.errors.size(), 1u) << bad;
        EXPECT_EQ(refused.errors[0].line, 2) << refused.errors[0].toString();
        EXPECT_TRUE(refused.errors[0].message.find("proxy.drain_timeout_ms") != std::string::npos ||
                    refused.errors[0].message.find("services.a.slow_start_ms") != std::string::npos)
            << refused.errors[0].toString();
    }
}

TEST(ConfigFile, AnUnterminatedStringGetsAHint) {
    for (const char* text : {"[proxy]\naccess_log = \"abc\nretries = 2\n",
                             "[proxy]\naccess_log = \"abc", "[proxy]\naccess_log = 'abc\n"}) {
        auto parse = parseConfigText(text, "t.toml");
        ASSERT_EQ(parse.errors.size(), 1u) << text;
        EXPECT_EQ(parse.errors[0].toString().substr(0, 12), "t.toml:2:18:");
        EXPECT_NE(parse.errors[0].message.find(
                      "(hint: a string is not closed: its closing quote is missing before here)"),
                  std::string::npos)
            << parse.errors[0].message;
    }
    // Other errors get no hint.
    auto other = parseConfigText("[proxy\n", "t.toml");
    ASSERT_EQ(other.errors.size(), 1u);
    EXPECT_EQ(other.errors[0].message.find("hint"), std::string::npos);
}

TEST(ConfigFile, OperatorViewKeys) {
    auto parse = parseConfigText("[proxy]\naccess_log_format = \"json\"\nrequest_id = true\n"
                                 "[services.a]\nupstream_host = \"upstream\"\n"
                                 "[services.b]\nupstream_host = \"api.internal:8080\"\n",
                                 "t.toml");
    ASSERT_TRUE(parse.config) << parse.errors[0].toString();
    EXPECT_EQ(parse.config->proxy.access_log_format, "json");
    EXPECT_TRUE(parse.config->proxy.request_id);
    EXPECT_EQ(parse.config->services[0].upstream_host, "upstream");
    EXPECT_EQ(parse.config->services[1].upstream_host, "api.internal:8080");
    EXPECT_EQ(Config{}.proxy.access_log_format, "default");
    EXPECT_EQ(makeDefaultService("x").upstream_host, "client");
    auto again = parseConfigText(renderConfig(*parse.config), "again.toml");
    ASSERT_TRUE(again.config);
    EXPECT_EQ(*again.config, *parse.config);

    auto bad = parseConfigText("[proxy]\naccess_log_format = \"xml\"\n"
                               "[services.a]\nupstream_host = \"a b\"\n",
                               "t.toml");
    ASSERT_EQ(bad.errors.size(), 2u);
    EXPECT_EQ(bad.errors[0].toString(),
              "t.toml:2:21: unknown access_log_format 'xml': expected \"default\", \"combined\" "
              "or \"json\"");
    EXPECT_EQ(bad.errors[1].toString().substr(0, 49),
              "t.toml:4:17: invalid upstream_host 'a b': expecte");
}

TEST(ConfigFile, AdminStateIsReadFromAnInlineTableAndRendersBack) {
    auto parse = parseConfigText("[services.a]\nupstreams = [\"127.0.0.1:1\",\n"
                                 "  { address = \"127.0.0.1:2\", admin_state = \"drain\" },\n"
                                 "  { address = \"127.0.0.1:3\", weight = 4, admin_state = "
                                 "\"maint\" },\n"
                                 "  { address = \"127.0.0.1:4\", admin_state = \"active\" }]\n",
                                 "states.toml");
    ASSERT_TRUE(parse.config) << parse.errors[0].toString();
    const auto& upstreams = parse.config->services[0].upstreams;
    ASSERT_EQ(upstreams.size(), 4u);
    EXPECT_EQ(upstreams[0].admin_state, AdminState::Active);
    EXPECT_EQ(upstreams[1].admin_state, AdminState::Drain);
    EXPECT_EQ(upstreams[2].admin_state, AdminState::Maint);
    EXPECT_EQ(upstreams[2].weight, 4);
    EXPECT_EQ(upstreams[3].admin_state, AdminState::Active);

    std::string text = renderConfig(*parse.config);
    EXPECT_NE(text.find(R"({ address = "127.0.0.1:2", admin_state = "drain" })"), std::string::npos)
        << text;
    EXPECT_NE(text.find(R"({ address = "127.0.0.1:3", weight = 4, admin_state = "maint" })"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("active"), std::string::npos) << text;  // the default is not written
    auto again = parseConfigText(text, "rendered.toml");
    ASSERT_TRUE(again.config);
    EXPECT_EQ(*again.config, *parse.config);
}

TEST(ConfigFile, AdminStateOtherThanTheThreeIsAnErrorAtTheValue) {
    auto parse = parseConfigText(
        "[services.a]\nupstreams = [{ address = \"127.0.0.1:2\", admin_state = \"down\" }]\n",
        "bad.toml");
    ASSERT_FALSE(parse.config);
    ASSERT_EQ(parse.errors.size(), 1u);
    EXPECT_EQ(parse.errors[0].toString(),
              "bad.toml:2:55: invalid admin_state 'down': must be \"active\", \"drain\" or "
              "\"maint\"");
    auto wrong_type = parseConfigText(
        "[services.a]\nupstreams = [{ address = \"127.0.0.1:2\", admin_state = 1 }]\n", "bad.toml");
    ASSERT_FALSE(wrong_type.config);
    EXPECT_EQ(wrong_type.errors[0].line, 2);
    EXPECT_EQ(wrong_type.errors[0].column, 55);
    EXPECT_NE(wrong_type.errors[0].message.find("admin_state must be a string"), std::string::npos);
}

// Config::setService, the one way a committed change of one service enters a config: replaced
// in place, added in name order, or removed; the other services untouched.
TEST(ConfigServices, SetServiceReplacesAddsInOrderAndRemoves) {
    Config config;
    config.addService(makeDefaultService("b"));
    config.addService(makeDefaultService("d"));
    ServiceConfig c = makeDefaultService("c");
    config.setService("c", &c);
    ServiceConfig a = makeDefaultService("a");
    config.setService("a", &a);
    ASSERT_EQ(config.services.size(), 4u);
    EXPECT_EQ(config.services[0].name, "a");
    EXPECT_EQ(config.services[2].name, "c");
    c.route = "/elsewhere";
    config.setService("c", &c);
    EXPECT_EQ(config.findService("c")->route, "/elsewhere");
    EXPECT_EQ(config.services.size(), 4u);
    config.setService("b", nullptr);
    config.setService("zz", nullptr);  // not there: nothing happens
    ASSERT_EQ(config.services.size(), 3u);
    EXPECT_EQ(config.findService("b"), nullptr);
    EXPECT_EQ(config.services[1].name, "c");
}
