// SPDX-License-Identifier: Apache-2.0
// [cluster] (SPEC §12) in the file: read, checked, and written back.
#include <gtest/gtest.h>

#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

std::string errorsOf(const ConfigParse& parse) {
    std::string text;
    for (const auto& error : parse.errors)
        text += error.toString() + "\n";
    return text;
}

}  // namespace

TEST(ClusterSettings, StandaloneWithoutTheTable) {
    auto parse = parseConfigText("[admin]\n", "t.toml");
    ASSERT_TRUE(parse.config);
    EXPECT_FALSE(parse.config->cluster.enabled());
    auto empty = parseConfigText("[cluster]\netcd = []\n", "t.toml");
    ASSERT_TRUE(empty.config) << errorsOf(empty);
    EXPECT_FALSE(empty.config->cluster.enabled());
}

TEST(ClusterSettings, EveryKeyIsRead) {
    auto parse =
        parseConfigText("[cluster]\n"
                        "etcd = [\"http://10.0.0.10:2379\", \"http://etcd.example:2379/\"]\n"
                        "prefix = \"/switchboard/prod/\"\n"
                        "timeout_ms = 500\n"
                        "cache = \"/tmp/c.json\"\n",
                        "t.toml");
    ASSERT_TRUE(parse.config) << errorsOf(parse);
    const auto& cluster = parse.config->cluster;
    EXPECT_TRUE(cluster.enabled());
    EXPECT_EQ(cluster.etcd,
              (std::vector<std::string>{"http://10.0.0.10:2379", "http://etcd.example:2379/"}));
    EXPECT_EQ(cluster.prefix, "/switchboard/prod/");
    EXPECT_EQ(cluster.timeout_ms, 500);
    EXPECT_EQ(cluster.cache, "/tmp/c.json");
}

TEST(ClusterSettings, DefaultsAreSpecs) {
    auto parse = parseConfigText("[cluster]\netcd = [\"http://127.0.0.1:2379\"]\n", "t.toml");
    ASSERT_TRUE(parse.config) << errorsOf(parse);
    EXPECT_EQ(parse.config->cluster.prefix, "/switchboard/");
    EXPECT_EQ(parse.config->cluster.timeout_ms, 3000);
    EXPECT_EQ(parse.config->cluster.cache, "/var/lib/switchboard/cluster-cache.json");
}

TEST(ClusterSettings, BadValuesAreErrorsWithTheirPlace) {
    auto parse = parseConfigText("[cluster]\n"
                                 "etcd = [\"https://a:1\", \"http://a\", 7]\n"
                                 "prefix = \"switchboard\"\n"
                                 "timeout_ms = 5\n"
                                 "cache = 3\n"
                                 "token = \"x\"\n",
                                 "t.toml");
    ASSERT_FALSE(parse.config);
    const std::string errors = errorsOf(parse);
    EXPECT_NE(errors.find("t.toml:2:9: cluster.etcd: 'https://a:1' must be http://host:port"),
              std::string::npos)
        << errors;
    EXPECT_NE(errors.find("t.toml:2:24: cluster.etcd: 'http://a'"), std::string::npos) << errors;
    EXPECT_NE(errors.find("t.toml:2:36: each of cluster.etcd must be a string"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("t.toml:3:10: cluster.prefix must start and end with '/'"),
              std::string::npos)
        << errors;
    EXPECT_NE(errors.find("t.toml:4:14: cluster.timeout_ms must be from 10 to 600000, not 5"),
              std::string::npos)
        << errors;
    EXPECT_NE(errors.find("t.toml:5:9: cluster.cache must be a string"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("t.toml:6:1: unknown key 'cluster.token'"), std::string::npos) << errors;
    auto not_a_table = parseConfigText("cluster = 1\n", "t.toml");
    EXPECT_NE(errorsOf(not_a_table).find("[cluster] must be a table"), std::string::npos);
    auto not_an_array = parseConfigText("[cluster]\netcd = \"http://a:1\"\n", "t.toml");
    EXPECT_NE(errorsOf(not_an_array).find("cluster.etcd must be an array"), std::string::npos);
}

TEST(ClusterSettings, RenderedConfigKeepsIt) {
    Config config;
    config.cluster.etcd = {"http://127.0.0.1:2379"};
    config.cluster.prefix = "/p/";
    std::string text = renderConfig(config);
    EXPECT_NE(text.find("\n[cluster]\netcd = [\"http://127.0.0.1:2379\"]\nprefix = \"/p/\"\n"),
              std::string::npos)
        << text;
    auto parse = parseConfigText(text, "t.toml");
    ASSERT_TRUE(parse.config) << errorsOf(parse);
    EXPECT_EQ(*parse.config, config);
    EXPECT_EQ(renderConfig(Config{}).find("[cluster]"), std::string::npos);
}
