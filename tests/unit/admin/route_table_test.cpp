// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "switchboard/admin/route_table.h"

using namespace switchboard;

namespace {

// Handlers are plain numbers here: the table only has to say which row took the request.
const Route<int> kRoutes[] = {
    {EVHTTP_REQ_GET, "/healthz", 1},
    {EVHTTP_REQ_GET, "/services/{service}", 2},
    {EVHTTP_REQ_PUT, "/services/{service}", 3},
    {EVHTTP_REQ_DELETE, "/services/{service}", 4},
    {EVHTTP_REQ_DELETE, "/services/{service}/upstreams/{address}", 5},
    {EVHTTP_REQ_POST, "/add_upstream/{service}/{address}", 6},
    {EVHTTP_REQ_POST, "/add_upstream/*", 7},
};

std::variant<RouteMatch<int>, RouteRefusal> find(evhttp_cmd_type method,
                                                 std::vector<std::string> segments) {
    return findRoute<int>(kRoutes, method, segments);
}

int handlerOf(const std::variant<RouteMatch<int>, RouteRefusal>& found) {
    const auto* match = std::get_if<RouteMatch<int>>(&found);
    return match ? *match->handler : 0;
}

RouteRefusal refusalOf(const std::variant<RouteMatch<int>, RouteRefusal>& found) {
    const auto* refusal = std::get_if<RouteRefusal>(&found);
    return refusal ? *refusal : RouteRefusal{0, "matched", ""};
}

}  // namespace

TEST(RouteTable, TakesTheRowOfTheMethodAndBindsItsParameters) {
    auto found = find(EVHTTP_REQ_DELETE, {"services", "apiA", "upstreams", "127.0.0.1:3001"});
    ASSERT_EQ(handlerOf(found), 5);
    const RouteParameters& parameters = std::get<RouteMatch<int>>(found).parameters;
    EXPECT_EQ(parameters.service, "apiA");
    EXPECT_EQ(parameters.address, "127.0.0.1:3001");

    EXPECT_EQ(handlerOf(find(EVHTTP_REQ_PUT, {"services", "apiA"})), 3);
    EXPECT_FALSE(std::get<RouteMatch<int>>(find(EVHTTP_REQ_GET, {"healthz"})).parameters.service);
}

TEST(RouteTable, GetRowsAnswerHead) {
    EXPECT_EQ(handlerOf(find(EVHTTP_REQ_HEAD, {"services", "apiA"})), 2);
    EXPECT_EQ(refusalOf(find(EVHTTP_REQ_HEAD, {"add_upstream", "a", "b"})).status, 405);
}

TEST(RouteTable, UnknownPathIs404) {
    for (std::vector<std::string> path : std::vector<std::vector<std::string>>{
             {}, {"nope"}, {"healthz", "x"}, {"services", "a", "b"}, {"services", "a", "b", "c"}}) {
        RouteRefusal refusal = refusalOf(find(EVHTTP_REQ_GET, path));
        EXPECT_EQ(refusal.status, 404);
        EXPECT_EQ(refusal.error, "no such admin endpoint");
        EXPECT_EQ(refusal.allow, "");
    }
}

TEST(RouteTable, WrongMethodIs405WithTheMethodsOfEveryPatternThatFits) {
    RouteRefusal refusal = refusalOf(find(EVHTTP_REQ_POST, {"services", "apiA"}));
    EXPECT_EQ(refusal.status, 405);
    EXPECT_EQ(refusal.allow, "GET, PUT, DELETE");
    EXPECT_EQ(refusal.error, "method not allowed; use GET, PUT, DELETE");

    // Both seed rows fit; POST is named once.
    EXPECT_EQ(refusalOf(find(EVHTTP_REQ_GET, {"add_upstream", "a", "b"})).allow, "POST");
}

TEST(RouteTable, MethodIsCheckedBeforeParameters) {
    EXPECT_EQ(refusalOf(find(EVHTTP_REQ_POST, {"services", "bad name"})).status, 405);
}

TEST(RouteTable, ParametersAreCheckedServiceFirst) {
    RouteRefusal refusal = refusalOf(find(EVHTTP_REQ_PUT, {"services", "-x"}));
    EXPECT_EQ(refusal.status, 400);
    EXPECT_EQ(refusal.error, "invalid service name '-x': must start with a letter or digit");

    refusal = refusalOf(find(EVHTTP_REQ_POST, {"add_upstream", "-x", "nope"}));
    EXPECT_EQ(refusal.error, "invalid service name '-x': must start with a letter or digit");

    refusal = refusalOf(find(EVHTTP_REQ_POST, {"add_upstream", "apiA", "nope"}));
    EXPECT_EQ(refusal.status, 400);
    EXPECT_EQ(refusal.error, "invalid address 'nope': expected host:port");
}

TEST(RouteTable, AddressIsRewrittenToItsCanonicalForm) {
    auto found = find(EVHTTP_REQ_POST, {"add_upstream", "apiA", "LocalHost:80"});
    ASSERT_EQ(handlerOf(found), 6);
    EXPECT_EQ(std::get<RouteMatch<int>>(found).parameters.address, "localhost:80");
}

TEST(RouteTable, StarTakesAnyFurtherSegments) {
    EXPECT_EQ(handlerOf(find(EVHTTP_REQ_POST, {"add_upstream"})), 7);
    EXPECT_EQ(handlerOf(find(EVHTTP_REQ_POST, {"add_upstream", "a"})), 7);
    EXPECT_EQ(handlerOf(find(EVHTTP_REQ_POST, {"add_upstream", "a", "b", "c"})), 7);
}

TEST(RouteTable, MethodNames) {
    EXPECT_STREQ(methodName(EVHTTP_REQ_DELETE), "DELETE");
    EXPECT_STREQ(methodName(EVHTTP_REQ_PATCH), "PATCH");
}

TEST(RouteTable, TheRootPatternTakesOnlyTheEmptyPath) {
    const Route<int> routes[] = {
        {EVHTTP_REQ_GET, "/", 8},
        {EVHTTP_REQ_GET, "/healthz", 1},
    };
    auto handler = [&](evhttp_cmd_type method, std::vector<std::string> segments) {
        return handlerOf(findRoute<int>(routes, method, segments));
    };
    EXPECT_EQ(handler(EVHTTP_REQ_GET, {}), 8);
    EXPECT_EQ(handler(EVHTTP_REQ_HEAD, {}), 8);
    EXPECT_EQ(handler(EVHTTP_REQ_GET, {"healthz"}), 1);
    EXPECT_EQ(handler(EVHTTP_REQ_GET, {"index.html"}), 0);
    EXPECT_EQ(refusalOf(findRoute<int>(routes, EVHTTP_REQ_POST, {})).allow, "GET");
}
