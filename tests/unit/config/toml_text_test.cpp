// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/config/config_file.h"
#include "switchboard/config/config_render.h"
#include "switchboard/config/toml_text.h"

using namespace switchboard;

TEST(ConfigTomlText, KeysAreBareWhenTheyCanBe) {
    EXPECT_EQ(tomlKey("api_v1-x"), "api_v1-x");
    EXPECT_EQ(tomlKey("api.v1"), "\"api.v1\"");
    EXPECT_EQ(tomlPath({"services", "api.v1", "health_check"}), "services.\"api.v1\".health_check");
}

TEST(ConfigTomlText, QuotesEscapeControlCharacters) {
    EXPECT_EQ(tomlQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(ConfigTomlText, ValuesTablesAndSections) {
    EXPECT_EQ(tomlValue(std::vector<std::string>{"a:1"}), "\"a:1\"");
    EXPECT_EQ(tomlValue(std::vector<std::string>{"a:1", "b:2"}), "[\"a:1\", \"b:2\"]");
    EXPECT_EQ(tomlInlineTable({}), "{}");
    EXPECT_EQ(tomlInlineTable({{"a", "1"}, {"b.c", "true"}}), "{ a = 1, \"b.c\" = true }");
    EXPECT_EQ(tomlSection({"proxy"}, {{"retries", "3"}}, "\r\n"), "[proxy]\r\nretries = 3\r\n");
}

TEST(ConfigRender, NewServiceIsWrittenAsRenderConfigWritesIt) {
    Config config;
    ServiceConfig service = makeDefaultService("api.v1");
    service.upstreams = {{"10.0.0.1:80", 1}, {"10.0.0.2:80", 3}};
    service.health_check = HealthCheckConfig{};
    config.services.push_back(service);
    std::string rendered = renderConfig(config);
    std::string sections = serviceSections(service, "\n");
    EXPECT_EQ(rendered.substr(rendered.size() - sections.size()), sections);
    EXPECT_EQ(renderUpstreamsArray(service.upstreams),
              "[\"10.0.0.1:80\", { address = \"10.0.0.2:80\", weight = 3 }]");
}

TEST(ConfigRender, ChangedKeysListOnlyWhatDiffers) {
    ProxySettings before;
    ProxySettings after = before;
    after.retries = 5;
    after.access_log = "/var/log/x";
    auto keys = changedKeys(before, after);
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].key, "retries");
    EXPECT_EQ(keys[0].value, "5");
    EXPECT_EQ(keys[1].key, "access_log");
    EXPECT_EQ(keys[1].value, "\"/var/log/x\"");
    ASSERT_EQ(proxyKeys(before).size(), 1u);  // listen only: it is always written
}
