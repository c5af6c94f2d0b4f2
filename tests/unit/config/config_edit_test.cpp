// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "switchboard/config/config_edit.h"
#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

std::string readTestFile(const std::string& name) {
    std::ifstream in(std::string(SWITCHBOARD_TEST_DATA) + "/edit/" + name, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Config parsed(std::string_view text) {
    auto parse = parseConfigText(text, "test.toml");
    for (const auto& error : parse.errors)
        ADD_FAILURE() << error.toString() << "\n" << text;
    return parse.config.value_or(Config{});
}

// The parser sorts services by name, so tests compare them by name too.
Config byName(Config config) {
    std::sort(config.services.begin(), config.services.end(),
              [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
    return config;
}

std::vector<std::string> linesOf(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        std::string line(text.substr(start, end - start));
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

bool isCommentLine(const std::string& line) {
    auto first = line.find_first_not_of(" \t");
    return first != std::string::npos && line[first] == '#';
}

// Every line of `before` that holds only a comment is in `after`, byte for byte, as often.
void expectCommentLinesKept(std::string_view before, std::string_view after) {
    std::map<std::string, int> missing;
    for (const auto& line : linesOf(before))
        if (isCommentLine(line))
            ++missing[line];
    for (const auto& line : linesOf(after))
        if (missing.count(line))
            --missing[line];
    for (const auto& [line, count] : missing)
        EXPECT_LE(count, 0) << "comment line lost: " << line << "\n--- after ---\n" << after;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// Edits `text` (which means `before`) into `target`, checks that the result means `target`
// and, when edited in place, that no comment line was lost.
ConfigEditResult editTo(std::string_view text, const Config& target) {
    Config before = parsed(text);
    auto result = editConfigText(text, before, target);
    EXPECT_EQ(byName(parsed(result.text)), byName(target)) << result.text;
    if (result.edited_in_place)
        expectCommentLinesKept(text, result.text);
    return result;
}

ConfigEditResult editInPlace(std::string_view text, const Config& target) {
    auto result = editTo(text, target);
    EXPECT_TRUE(result.edited_in_place) << result.text;
    return result;
}

ServiceConfig& service(Config& config, std::string_view name) {
    auto* found = config.findService(name);
    EXPECT_NE(found, nullptr) << name;
    return *found;
}

void removeUpstream(ServiceConfig& service, std::string_view address) {
    std::erase_if(service.upstreams,
                  [&](const UpstreamConfig& upstream) { return upstream.address == address; });
}

const std::string kCommented = readTestFile("commented.toml");

}  // namespace

TEST(ConfigEdit, NothingChangedGivesTheTextByteForByte) {
    Config config = parsed(kCommented);
    auto result = editConfigText(kCommented, config, config);
    EXPECT_TRUE(result.edited_in_place);
    EXPECT_EQ(result.text, kCommented);
}

TEST(ConfigEdit, OnlyServiceOrderChangedIsNoChange) {
    Config config = parsed(kCommented);
    Config reversed = config;
    std::reverse(reversed.services.begin(), reversed.services.end());
    auto result = editConfigText(kCommented, config, reversed);
    EXPECT_TRUE(result.edited_in_place);
    EXPECT_EQ(result.text, kCommented);
}

TEST(ConfigEdit, AddUpstreamToOnePerLineArrayKeepsItsStyleAndComments) {
    Config target = parsed(kCommented);
    service(target, "apiA").upstreams.push_back({"127.0.0.1:3003", 1});
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text,
                         "upstreams = [  # the pool\n"
                         "    \"127.0.0.1:3001\",  # primary\n"
                         "    # the backup below is cold\n"
                         "    { address = \"127.0.0.1:3002\", weight = 2 },  # backup\n"
                         "    \"127.0.0.1:3003\",\n"
                         "]\n"))
        << result.text;
}

TEST(ConfigEdit, RemoveUpstreamDropsItsLineWithItsCommentOnly) {
    Config target = parsed(kCommented);
    removeUpstream(service(target, "apiA"), "127.0.0.1:3001");
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text,
                         "upstreams = [  # the pool\n"
                         "    # the backup below is cold\n"
                         "    { address = \"127.0.0.1:3002\", weight = 2 },  # backup\n"
                         "]\n"))
        << result.text;
    EXPECT_FALSE(contains(result.text, "# primary"));
}

TEST(ConfigEdit, WeightChangeKeepsTheElementsTrailingComment) {
    Config target = parsed(kCommented);
    service(target, "apiA").upstreams[1].weight = 7;
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(
        contains(result.text, "    { address = \"127.0.0.1:3002\", weight = 7 },  # backup\n"))
        << result.text;
}

TEST(ConfigEdit, EveryUpstreamRemovedLeavesTheArraysComments) {
    Config target = parsed(kCommented);
    service(target, "apiA").upstreams.clear();
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "upstreams = [  # the pool\n"
                                      "    # the backup below is cold\n"
                                      "]\n"))
        << result.text;
}

TEST(ConfigEdit, ArrayWithoutTrailingCommaKeepsThatHabit) {
    std::string text = "[services.a]\n"
                       "upstreams = [\n"
                       "  \"127.0.0.1:1\", # one\n"
                       "  \"127.0.0.1:2\"  # two\n"
                       "]\n";
    Config target = parsed(text);
    service(target, "a").upstreams.push_back({"127.0.0.1:3", 1});
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = [\n"
                           "  \"127.0.0.1:1\", # one\n"
                           "  \"127.0.0.1:2\",  # two\n"
                           "  \"127.0.0.1:3\"\n"
                           "]\n");
    removeUpstream(service(target, "a"), "127.0.0.1:3");
    removeUpstream(service(target, "a"), "127.0.0.1:2");
    result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = [\n"
                           "  \"127.0.0.1:1\" # one\n"
                           "]\n");
}

TEST(ConfigEdit, NewUpstreamGoesAfterTheOneBeforeItInTheTarget) {
    std::string text = "[services.a]\n"
                       "upstreams = [\n"
                       "\t\"127.0.0.1:1\",\n"
                       "\t# between\n"
                       "\t\"127.0.0.1:2\",\n"
                       "]\n";
    Config target = parsed(text);
    auto& upstreams = service(target, "a").upstreams;
    upstreams.insert(upstreams.begin() + 1, {"127.0.0.1:9", 3});
    upstreams.insert(upstreams.begin(), {"127.0.0.1:8", 1});
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = [\n"
                           "\t\"127.0.0.1:8\",\n"
                           "\t\"127.0.0.1:1\",\n"
                           "\t{ address = \"127.0.0.1:9\", weight = 3 },\n"
                           "\t# between\n"
                           "\t\"127.0.0.1:2\",\n"
                           "]\n");
}

TEST(ConfigEdit, EmptyMultiLineArrayGetsIndentedElements) {
    std::string text = "[services.a]\n"
                       "  upstreams = [\n"
                       "    # none yet\n"
                       "  ]\n";
    Config target = parsed(text);
    service(target, "a").upstreams = {{"127.0.0.1:1", 1}, {"127.0.0.1:2", 1}};
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "  upstreams = [\n"
                           "    # none yet\n"
                           "      \"127.0.0.1:1\",\n"
                           "      \"127.0.0.1:2\",\n"
                           "  ]\n");
}

TEST(ConfigEdit, SingleLineArrayIsRewrittenInPlaceKeepingTheLinesComment) {
    Config target = parsed(kCommented);
    service(target, "apiB").upstreams.push_back({"127.0.0.1:4003", 5});
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text,
                         "upstreams = [\"127.0.0.1:4001\", \"127.0.0.1:4002\", { address = "
                         "\"127.0.0.1:4003\", weight = 5 }]  # B pool\n"))
        << result.text;
}

TEST(ConfigEdit, ArrayAcrossLinesWithoutCommentsBecomesOneLine) {
    std::string text = "[services.a]\n"
                       "upstreams = [\"127.0.0.1:1\",\n"
                       "             \"127.0.0.1:2\"]  # after\n";
    Config target = parsed(text);
    removeUpstream(service(target, "a"), "127.0.0.1:1");
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = [\"127.0.0.1:2\"]  # after\n");
}

TEST(ConfigEdit, ArrayAcrossLinesWithCommentsInAnOddLayoutFallsBack) {
    std::string text = "[services.a]\n"
                       "upstreams = [\"127.0.0.1:1\", # first\n"
                       "             \"127.0.0.1:2\"]\n";
    Config target = parsed(text);
    removeUpstream(service(target, "a"), "127.0.0.1:1");
    auto result = editTo(text, target);
    EXPECT_FALSE(result.edited_in_place);
    EXPECT_EQ(result.text, renderConfig(target));
}

TEST(ConfigEdit, ReorderedUpstreamsTakeTheirLineCommentsAlong) {
    Config target = parsed(kCommented);
    auto& upstreams = service(target, "apiA").upstreams;
    std::reverse(upstreams.begin(), upstreams.end());
    upstreams.push_back({"127.0.0.1:3003", 1});
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text,
                         "upstreams = [  # the pool\n"
                         "    { address = \"127.0.0.1:3002\", weight = 2 },  # backup\n"
                         "    # the backup below is cold\n"
                         "    \"127.0.0.1:3001\",  # primary\n"
                         "    \"127.0.0.1:3003\",\n"
                         "]\n"))
        << result.text;
}

TEST(ConfigEdit, ReorderingWithoutTrailingCommaMovesTheComma) {
    std::string text = "[services.a]\n"
                       "upstreams = [\n"
                       "  \"127.0.0.1:1\",\n"
                       "  \"127.0.0.1:2\"\n"
                       "]\n";
    Config target = parsed(text);
    auto& upstreams = service(target, "a").upstreams;
    std::reverse(upstreams.begin(), upstreams.end());
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = [\n"
                           "  \"127.0.0.1:2\",\n"
                           "  \"127.0.0.1:1\"\n"
                           "]\n");
}

TEST(ConfigEdit, InlineServiceTableIsEditedInside) {
    Config target = parsed(kCommented);
    service(target, "apiC").upstreams.push_back({"127.0.0.1:5002", 1});
    service(target, "apiC").strategy = "least_conn";
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "apiC = { route = \"/c\", upstreams = [\"127.0.0.1:5001\", "
                                      "\"127.0.0.1:5002\"], strategy = \"least_conn\" }   # "
                                      "inline table\n"))
        << result.text;
}

TEST(ConfigEdit, DottedKeyServiceIsEditedInPlace) {
    Config target = parsed(kCommented);
    service(target, "apiD").upstreams.push_back({"127.0.0.1:6002", 1});
    service(target, "apiD").route = "/dee";
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "apiD.route = \"/dee\"   # dotted keys\n"
                                      "apiD.upstreams = [\n"
                                      "  \"127.0.0.1:6001\",\n"
                                      "  \"127.0.0.1:6002\",\n"
                                      "]\n"))
        << result.text;
}

TEST(ConfigEdit, KeyMissingFromADottedServiceGetsADottedLine) {
    Config target = parsed(kCommented);
    service(target, "apiD").strip_prefix = true;
    service(target, "apiD").health_check = HealthCheckConfig{};
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "apiD.upstreams = [\n"
                                      "  \"127.0.0.1:6001\",\n"
                                      "]\n"
                                      "apiD.strip_prefix = true\n"
                                      "apiD.health_check = { path = \"/healthz\", interval_ms = "
                                      "2000, timeout_ms = 1000, rise = 2, fall = 3 }\n"
                                      "# the end\n"))
        << result.text;
}

TEST(ConfigEdit, KeyMissingFromAServiceImpliedByItsSubTableFallsBack) {
    std::string text = "# only a health check\n"
                       "[services.a.health_check]\n"
                       "path = \"/h\"\n";
    Config target = parsed(text);
    service(target, "a").upstreams.push_back({"127.0.0.1:1", 1});
    auto result = editTo(text, target);
    EXPECT_FALSE(result.edited_in_place);
    EXPECT_EQ(result.text, renderConfig(target));
}

TEST(ConfigEdit, MissingUpstreamsKeyIsInsertedAfterTheTablesLastKey) {
    std::string text = "[services.a]\n"
                       "    route = \"/a\"  # r\n"
                       "    # about a\n"
                       "\n"
                       "# about b\n"
                       "[services.b]\n";
    Config target = parsed(text);
    service(target, "a").upstreams.push_back({"127.0.0.1:1", 1});
    service(target, "b").upstreams.push_back({"127.0.0.1:2", 1});
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "    route = \"/a\"  # r\n"
                           "    upstreams = [\"127.0.0.1:1\"]\n"
                           "    # about a\n"
                           "\n"
                           "# about b\n"
                           "[services.b]\n"
                           "upstreams = [\"127.0.0.1:2\"]\n");
}

TEST(ConfigEdit, ScalarKeysAreReplacedOrAdded) {
    Config target = parsed(kCommented);
    auto& a = service(target, "apiA");
    a.route = "/v2/apiA";
    a.strategy = "consistent_hash";
    a.hash_key = "header:X-User";
    a.strip_prefix = true;
    a.host = "api.example.com";
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "route = \"/v2/apiA\"       # route comment\n"
                                      "strategy = \"consistent_hash\"\n"))
        << result.text;
    EXPECT_TRUE(contains(result.text, "]\nhost = \"api.example.com\"\nstrip_prefix = true\n"
                                      "hash_key = \"header:X-User\"\n\n"
                                      "[services.apiA.health_check]"))
        << result.text;
}

TEST(ConfigEdit, HealthCheckValuesAreReplacedOrAdded) {
    Config target = parsed(kCommented);
    auto& check = *service(target, "apiA").health_check;
    check.interval_ms = 500;
    check.fall = 5;
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "[services.apiA.health_check]   # active checks\n"
                                      "path = \"/healthz\"\n"
                                      "interval_ms = 500  # every two seconds\n"
                                      "fall = 5\n"))
        << result.text;
}

TEST(ConfigEdit, HealthCheckAddedAsTableAfterTheService) {
    Config target = parsed(kCommented);
    service(target, "apiB").health_check = HealthCheckConfig{"/ping", 1000, 500, 1, 2};
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "upstreams = [\"127.0.0.1:4001\", \"127.0.0.1:4002\"]  # "
                                      "B pool\n"
                                      "\n"
                                      "[services.apiB.health_check]\n"
                                      "path = \"/ping\"\n"
                                      "interval_ms = 1000\n"
                                      "timeout_ms = 500\n"
                                      "rise = 1\n"
                                      "fall = 2\n"
                                      "# trailing comment in B\n"))
        << result.text;
}

TEST(ConfigEdit, HealthCheckAddedToInlineService) {
    Config target = parsed(kCommented);
    service(target, "apiC").health_check = HealthCheckConfig{};
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "upstreams = [\"127.0.0.1:5001\"], health_check = { path = "
                                      "\"/healthz\", interval_ms = 2000, timeout_ms = 1000, rise "
                                      "= 2, fall = 3 } }"))
        << result.text;
}

TEST(ConfigEdit, HealthCheckRemovedCutsItsTableButKeepsCommentLines) {
    Config target = parsed(kCommented);
    service(target, "apiA").health_check.reset();
    auto result = editInPlace(kCommented, target);
    EXPECT_FALSE(contains(result.text, "health_check"));
    EXPECT_FALSE(contains(result.text, "every two seconds"));  // went with its line
    EXPECT_TRUE(contains(result.text, "]\n\n# Service B is written compactly.\n[services.apiB]"))
        << result.text;
}

TEST(ConfigEdit, HealthCheckWrittenInlineOrDottedIsRemovedByLine) {
    std::string text = "[services.a]\n"
                       "upstreams = []\n"
                       "health_check = { path = \"/h\" }  # inline\n"
                       "[services.b]\n"
                       "health_check.path = \"/h\"\n"
                       "# kept\n"
                       "health_check.rise = 4\n"
                       "upstreams = []\n";
    Config target = parsed(text);
    service(target, "a").health_check.reset();
    service(target, "b").health_check.reset();
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.a]\n"
                           "upstreams = []\n"
                           "[services.b]\n"
                           "# kept\n"
                           "upstreams = []\n");
}

TEST(ConfigEdit, NewServiceIsAppendedAtTheEnd) {
    Config target = parsed(kCommented);
    auto added = makeDefaultService("apiE");
    added.upstreams = {{"127.0.0.1:7001", 1}, {"127.0.0.1:7002", 4}};
    added.strategy = "random";
    added.health_check = HealthCheckConfig{};
    target.services.push_back(added);
    auto result = editInPlace(kCommented, target);
    EXPECT_EQ(result.text, kCommented + "\n"
                                        "[services.apiE]\n"
                                        "route = \"/apiE\"\n"
                                        "strategy = \"random\"\n"
                                        "upstreams = [\"127.0.0.1:7001\", { address = "
                                        "\"127.0.0.1:7002\", weight = 4 }]\n"
                                        "\n"
                                        "[services.apiE.health_check]\n"
                                        "path = \"/healthz\"\n"
                                        "interval_ms = 2000\n"
                                        "timeout_ms = 1000\n"
                                        "rise = 2\n"
                                        "fall = 3\n");
}

TEST(ConfigEdit, NewServiceNameWithDotsIsQuoted) {
    std::string text = "# hand-written\n[services.a]\nupstreams = []";  // no final newline
    Config target = parsed(text);
    target.services.push_back(makeDefaultService("api.v1"));
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, text + "\n\n[services.\"api.v1\"]\nroute = \"/api.v1\"\n"
                                  "upstreams = []\n");
}

TEST(ConfigEdit, NewServiceInInlineServicesTable) {
    std::string text = "services = { a = { upstreams = [] } }  # all inline\n";
    Config target = parsed(text);
    target.services.push_back(makeDefaultService("b"));
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "services = { a = { upstreams = [] }, b = { route = \"/b\", upstreams "
                           "= [] } }  # all inline\n");
}

TEST(ConfigEdit, RemovedServiceIsCutWithItsSubTablesButCommentLinesStay) {
    Config target = parsed(kCommented);
    std::erase_if(target.services, [](const ServiceConfig& s) { return s.name == "apiA"; });
    auto result = editInPlace(kCommented, target);
    EXPECT_FALSE(contains(result.text, "apiA"));
    EXPECT_FALSE(contains(result.text, "127.0.0.1:300"));
    EXPECT_TRUE(contains(result.text, "token = \"\"  # no token in tests\n"
                                      "\n"
                                      "# The main API.\n"
                                      "# a comment inside the service's own table\n"
                                      "    # the backup below is cold\n"
                                      "\n"
                                      "# Service B is written compactly.\n"
                                      "[services.apiB]\n"))
        << result.text;
}

TEST(ConfigEdit, RemovedInlineAndDottedServicesLoseTheirLines) {
    Config target = parsed(kCommented);
    std::erase_if(target.services,
                  [](const ServiceConfig& s) { return s.name == "apiC" || s.name == "apiD"; });
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "[services]\n# the end\n")) << result.text;
}

TEST(ConfigEdit, RemovingTheOnlyServiceLeavesTheComments) {
    std::string text = "# top\n"
                       "[services.only]   # header comment goes with its line\n"
                       "# inside\n"
                       "upstreams = [\"127.0.0.1:1\"]\n"
                       "# last\n";
    Config target = parsed(text);
    target.services.clear();
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "# top\n# inside\n# last\n");
}

TEST(ConfigEdit, MissingFileGetsTheCanonicalRendering) {
    Config target;
    target.services.push_back(makeDefaultService("apiA"));
    target.services.back().upstreams.push_back({"127.0.0.1:3001", 1});
    auto result = editConfigText("", Config{}, target);
    EXPECT_FALSE(result.edited_in_place);
    EXPECT_EQ(result.text, renderConfig(target));
    EXPECT_EQ(parsed(result.text), target);
}

TEST(ConfigEdit, FileOfOnlyCommentsGetsTheServiceAppended) {
    std::string text = "# nothing configured yet\n";
    Config target;
    target.services.push_back(makeDefaultService("apiA"));
    target.services.back().upstreams.push_back({"127.0.0.1:3001", 1});
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "# nothing configured yet\n\n[services.apiA]\nroute = \"/apiA\"\n"
                           "upstreams = [\"127.0.0.1:3001\"]\n");
}

TEST(ConfigEdit, CrlfLineEndingsAreKept) {
    std::string text = "# crlf file\r\n"
                       "[services.a]\r\n"
                       "upstreams = [\r\n"
                       "  \"127.0.0.1:1\", # one\r\n"
                       "]\r\n";
    Config target = parsed(text);
    service(target, "a").upstreams.push_back({"127.0.0.1:2", 1});
    target.services.push_back(makeDefaultService("b"));
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "# crlf file\r\n"
                           "[services.a]\r\n"
                           "upstreams = [\r\n"
                           "  \"127.0.0.1:1\", # one\r\n"
                           "  \"127.0.0.1:2\",\r\n"
                           "]\r\n"
                           "\r\n"
                           "[services.b]\r\n"
                           "route = \"/b\"\r\n"
                           "upstreams = []\r\n");
}

// toml++ counts columns in code points; the edit must land on the right bytes when the same
// line holds non-ASCII text before the value.
TEST(ConfigEdit, ColumnsAfterNonAsciiTextOnTheSameLine) {
    // Routes are ASCII only; a file path may hold any text.
    std::string text = "# ünïcödé ✓\n"
                       "proxy = { access_log = \"/tmp/ää/✓.log\", retries = 1 }  # ✓ ü\n";
    Config target = parsed(text);
    target.proxy.retries = 3;
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "# ünïcödé ✓\n"
                           "proxy = { access_log = \"/tmp/ää/✓.log\", retries = 3 }  # ✓ ü\n");
}

TEST(ConfigEdit, ByteOrderMarkIsKept) {
    std::string text = "\xEF\xBB\xBF[services.a] # é\nupstreams = [\"127.0.0.1:1\"]\n";
    Config target = parsed(text);
    removeUpstream(service(target, "a"), "127.0.0.1:1");
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "\xEF\xBB\xBF[services.a] # é\nupstreams = []\n");
}

TEST(ConfigEdit, QuotedAndSpacedHeadersAreRecognised) {
    std::string text = "[ services . \"a.b\" ]  # quoted\n"
                       "upstreams = []\n"
                       "[ 'services' . \"a.b\" . health_check ]\n"
                       "path = \"/h\"\n"
                       "[services.c]\n"
                       "upstreams = []\n";
    Config target = parsed(text);
    service(target, "a.b").upstreams.push_back({"127.0.0.1:1", 1});
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[ services . \"a.b\" ]  # quoted\n"
                           "upstreams = [\"127.0.0.1:1\"]\n"
                           "[ 'services' . \"a.b\" . health_check ]\n"
                           "path = \"/h\"\n"
                           "[services.c]\n"
                           "upstreams = []\n");
    std::erase_if(target.services, [](const ServiceConfig& s) { return s.name == "a.b"; });
    result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[services.c]\nupstreams = []\n");
}

TEST(ConfigEdit, ProxySettingsAreReplacedInPlace) {
    Config target = parsed(kCommented);
    target.proxy.retries = 5;
    target.proxy.listen = {"127.0.0.1:7000", "[::1]:7000"};
    target.admin.token = "s3cret";
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "listen = [\"127.0.0.1:7000\", \"[::1]:7000\"]   # where "
                                      "clients connect\n"
                                      "retries    =   5            # odd spacing on purpose\n"))
        << result.text;
    EXPECT_TRUE(contains(result.text, "token = \"s3cret\"  # no token in tests\n")) << result.text;
}

TEST(ConfigEdit, ListenArrayHoldingCommentsFallsBack) {
    std::string text = "[proxy]\n"
                       "listen = [\n"
                       "  \"127.0.0.1:6188\",  # v4\n"
                       "  \"[::1]:6188\",  # v6\n"
                       "]\n";
    Config target = parsed(text);
    target.proxy.listen.pop_back();
    auto result = editTo(text, target);
    EXPECT_FALSE(result.edited_in_place);
}

TEST(ConfigEdit, MissingProxySectionIsAppended) {
    std::string text = "[services.a]\nupstreams = []\n";
    Config target = parsed(text);
    target.proxy.max_fails = 3;
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, text + "\n[proxy]\nmax_fails = 3\n");
}

TEST(ConfigEdit, UpstreamsAsArrayOfTablesFallBack) {
    std::string text = "# kept only on the edit path\n"
                       "[[services.a.upstreams]]\n"
                       "address = \"127.0.0.1:1\"\n"
                       "weight = 2\n";
    Config target = parsed(text);
    service(target, "a").upstreams.push_back({"127.0.0.1:2", 1});
    auto result = editTo(text, target);
    EXPECT_FALSE(result.edited_in_place);
    EXPECT_EQ(result.text, renderConfig(target));
}

TEST(ConfigEdit, ServiceWithArrayOfTablesUpstreamsIsRemovedInPlace) {
    std::string text = "[services.a]\n"
                       "route = \"/a\"\n"
                       "\n"
                       "# first upstream\n"
                       "[[services.a.upstreams]]\n"
                       "address = \"127.0.0.1:1\"\n"
                       "\n"
                       "[services.b]\n"
                       "upstreams = []\n";
    Config target = parsed(text);
    std::erase_if(target.services, [](const ServiceConfig& s) { return s.name == "a"; });
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "# first upstream\n\n[services.b]\nupstreams = []\n");
}

TEST(ConfigEdit, KeysAreCutFromInlineTablesWithTheirComma) {
    std::string text = "services = { a = { upstreams = [] }, b = { route = \"/b\", upstreams = [], "
                       "health_check = { path = \"/h\" } }, c = { upstreams = [] } }  # inline\n";
    Config target = parsed(text);
    std::erase_if(target.services, [](const ServiceConfig& s) { return s.name != "b"; });
    service(target, "b").health_check.reset();
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "services = { b = { route = \"/b\", upstreams = [] } }  # inline\n");
    target.services.clear();
    result = editInPlace(text, target);
    EXPECT_EQ(result.text, "services = {}  # inline\n");
}

TEST(ConfigEdit, TextThatDoesNotMeanTheOriginalFallsBack) {
    std::string text = "[services.a]\nupstreams = []\n";
    Config original = parsed(text);
    service(original, "a").route = "/elsewhere";
    Config target = original;
    service(target, "a").upstreams.push_back({"127.0.0.1:1", 1});
    auto result = editConfigText(text, original, target);
    EXPECT_FALSE(result.edited_in_place);
    EXPECT_EQ(parsed(result.text), target);
}

TEST(ConfigEdit, RemovedServiceAddedBackIsAppended) {
    Config target = parsed(kCommented);
    ServiceConfig a = service(target, "apiA");
    std::erase_if(target.services, [](const ServiceConfig& s) { return s.name == "apiA"; });
    auto removed = editInPlace(kCommented, target);
    target.services.push_back(a);
    auto added = editInPlace(removed.text, target);
    expectCommentLinesKept(kCommented, added.text);
}

namespace {

// Random admin-API-like changes to a config, each applied to the text of the previous one.
class RandomChanges {
  public:
    // Service names with a '.' are left out when a step may fall back to renderConfig, which
    // does not quote them.
    RandomChanges(unsigned seed, bool dotted_names) : random_(seed), dotted_names_(dotted_names) {}

    Config next(Config config) {
        switch (pick(4)) {
        case 0:
            addUpstream(config);
            break;
        case 1:
            removeUpstream(config);
            break;
        case 2:
            addService(config);
            break;
        default:
            removeService(config);
            break;
        }
        return config;
    }

  private:
    std::size_t pick(std::size_t count) {
        return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_);
    }

    std::string address() { return "127.0.0.1:" + std::to_string(3000 + pick(12)); }

    UpstreamConfig upstream() {
        return {address(), pick(3) == 0 ? static_cast<std::int64_t>(2 + pick(5)) : 1};
    }

    void addUpstream(Config& config) {
        if (config.services.empty())
            return addService(config);
        auto& service = config.services[pick(config.services.size())];
        auto added = upstream();
        if (!service.findUpstream(added.address))
            service.upstreams.push_back(added);
    }

    void removeUpstream(Config& config) {
        if (config.services.empty())
            return;
        auto& upstreams = config.services[pick(config.services.size())].upstreams;
        if (!upstreams.empty())
            upstreams.erase(upstreams.begin() +
                            static_cast<std::ptrdiff_t>(pick(upstreams.size())));
    }

    void addService(Config& config) {
        static const char* const kNames[] = {"apiA", "apiB",   "apiC", "apiD",
                                             "new1", "svc.v2", "new-3"};
        std::string name = kNames[pick(std::size(kNames))];
        if (config.findService(name) || (!dotted_names_ && name.find('.') != std::string::npos))
            return;
        auto service = makeDefaultService(name);
        for (std::size_t count = pick(3); count > 0; --count) {
            auto added = upstream();
            if (!service.findUpstream(added.address))
                service.upstreams.push_back(added);
        }
        if (pick(3) == 0)
            service.health_check = HealthCheckConfig{};
        if (pick(3) == 0)
            service.strategy = "least_conn";
        config.services.push_back(service);
    }

    void removeService(Config& config) {
        if (!config.services.empty())
            config.services.erase(config.services.begin() +
                                  static_cast<std::ptrdiff_t>(pick(config.services.size())));
    }

    std::mt19937 random_;
    bool dotted_names_;
};

}  // namespace

TEST(ConfigEdit, RandomChangeSequencesStayInPlaceAndMeanTheirTarget) {
    int in_place = 0, steps = 0;
    for (unsigned sequence = 0; sequence < 200; ++sequence) {
        RandomChanges changes(sequence, true);
        std::string text = kCommented;
        Config current = parsed(text);
        for (int step = 0; step < 12; ++step) {
            Config target = changes.next(current);
            auto result = editConfigText(text, current, target);
            ASSERT_EQ(byName(parsed(result.text)), byName(target))
                << "sequence " << sequence << " step " << step << "\n--- before ---\n"
                << text << "\n--- after ---\n"
                << result.text;
            ++steps;
            if (!result.edited_in_place) {
                ADD_FAILURE() << "fell back: sequence " << sequence << " step " << step
                              << "\n--- before ---\n"
                              << text;
                break;
            }
            ++in_place;
            expectCommentLinesKept(kCommented, result.text);
            text = result.text;
            current = target;
        }
    }
    EXPECT_EQ(in_place, steps);
}

namespace {

// Changes beyond what the admin API makes today: weights, strategies, health checks.
Config changeSomethingElse(Config config, std::mt19937& random) {
    if (config.services.empty())
        return config;
    auto pick = [&](std::size_t count) {
        return std::uniform_int_distribution<std::size_t>(0, count - 1)(random);
    };
    auto& service = config.services[pick(config.services.size())];
    switch (pick(4)) {
    case 0:
        if (!service.upstreams.empty())
            service.upstreams[pick(service.upstreams.size())].weight =
                static_cast<std::int64_t>(1 + pick(9));
        break;
    case 1:
        service.strategy = kStrategies[pick(std::size(kStrategies))];
        break;
    case 2:
        if (service.health_check)
            service.health_check.reset();
        else
            service.health_check = HealthCheckConfig{"/up", 1000, 500, 1, 2};
        break;
    default:
        service.route = "/" + service.name + "/v" + std::to_string(pick(1000));
        break;
    }
    return config;
}

}  // namespace

// Every change must mean its target; changes the editor cannot make in place fall back, and
// the next step starts again from that text.
TEST(ConfigEdit, RandomMixedChangesAlwaysMeanTheirTarget) {
    int in_place = 0, steps = 0;
    for (unsigned sequence = 0; sequence < 200; ++sequence) {
        RandomChanges changes(sequence + 1000, false);
        std::mt19937 random(sequence);
        std::string text = kCommented;
        Config current = parsed(text);
        for (int step = 0; step < 12; ++step) {
            Config target = step % 2 ? changeSomethingElse(current, random) : changes.next(current);
            auto result = editConfigText(text, current, target);
            ASSERT_EQ(byName(parsed(result.text)), byName(target))
                << "sequence " << sequence << " step " << step << "\n--- before ---\n"
                << text << "\n--- after ---\n"
                << result.text;
            ++steps;
            if (result.edited_in_place) {
                ++in_place;
                expectCommentLinesKept(text, result.text);
            }
            text = result.text;
            current = target;
        }
    }
    EXPECT_EQ(in_place, steps);
}

// SPEC §9: proxy.workers is edited in place like every proxy key, in either spelling.
TEST(ConfigEdit, WorkersIsReplacedInPlaceOrAdded) {
    std::string text = "[proxy]  # the data plane\nworkers = 2  # cores\nretries = 1\n";
    Config target = parsed(text);
    target.proxy.workers = kWorkersAuto;
    auto result = editInPlace(text, target);
    EXPECT_EQ(result.text, "[proxy]  # the data plane\nworkers = \"auto\"  # cores\nretries = 1\n");
    EXPECT_EQ(parsed(result.text), target);

    text = "[proxy]\nretries = 1\n";
    target = parsed(text);
    target.proxy.workers = 16;
    result = editInPlace(text, target);
    EXPECT_NE(result.text.find("workers = 16\n"), std::string::npos) << result.text;
    EXPECT_EQ(parsed(result.text), target);
}

TEST(ConfigEdit, AdminStateChangeKeepsTheElementsTrailingComment) {
    Config target = parsed(kCommented);
    service(target, "apiA").upstreams[0].admin_state = AdminState::Drain;
    service(target, "apiA").upstreams[1].admin_state = AdminState::Maint;
    auto result = editInPlace(kCommented, target);
    EXPECT_TRUE(contains(result.text, "    { address = \"127.0.0.1:3001\", admin_state = "
                                      "\"drain\" },  # primary\n"))
        << result.text;
    EXPECT_TRUE(contains(result.text, "    { address = \"127.0.0.1:3002\", weight = 2, "
                                      "admin_state = \"maint\" },  # backup\n"))
        << result.text;

    // And back to active: the line is as it was, comment and all.
    Config drained = parsed(result.text);
    auto back = editConfigText(result.text, drained, parsed(kCommented));
    EXPECT_TRUE(back.edited_in_place);
    EXPECT_EQ(back.text, kCommented);
}
