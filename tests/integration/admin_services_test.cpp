// SPDX-License-Identifier: Apache-2.0
// SPEC §5: the REST calls on services and upstreams, GET /config, methods, bodies, and the
// wall between the proxy port and the admin port. Over real HTTP against the real binary.
#include <gtest/gtest.h>

#include "harness/admin_helpers.h"
#include "switchboard/config/config_file.h"

using namespace harness;

namespace {

switchboard::Config parsed(const std::string& text) {
    auto parse = switchboard::parseConfigText(text, "on-disk.toml");
    EXPECT_TRUE(parse.config) << (parse.errors.empty() ? "" : parse.errors[0].toString()) << "\n"
                              << text;
    return parse.config ? *parse.config : switchboard::Config{};
}

class AdminServices : public AdminTest {
  protected:
    void SetUp() override {
        start("\n# the main API\n[services.apiA]\nroute = \"/apiA\"  # keep me\nupstreams = [\"" +
              one.address() + "\"]\n\n[services.apiB]\nupstreams = []\n");
    }
    UpstreamServer one{"one"}, two{"two"};
};

}  // namespace

TEST_F(AdminServices, ListsEveryServiceWithItsState) {
    ASSERT_EQ(switchboard->proxy("GET", "/apiA").body, "one");
    auto response = admin("GET", "/services");
    eventually([&] {  // the worker gives the request's in-flight count back just after
        response = admin("GET", "/services");
        return JsonDoc(response.body)["services"][0]["upstreams"][0]["in_flight"].num() == 0;
    });
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    JsonDoc doc(response.body);
    ASSERT_EQ(doc["services"].size(), 2) << response.body;
    JsonDoc a = doc["services"][0];
    EXPECT_EQ(a["name"].str(), "apiA");
    EXPECT_EQ(a["route"].str(), "/apiA");
    EXPECT_EQ(a["host"].str(), "");
    EXPECT_EQ(a["strategy"].str(), "round_robin");
    EXPECT_TRUE(a["strip_prefix"].isBool());
    ASSERT_EQ(a["upstreams"].size(), 1);
    EXPECT_EQ(a["upstreams"][0]["address"].str(), one.address());
    EXPECT_EQ(a["upstreams"][0]["weight"].num(), 1);
    EXPECT_EQ(a["upstreams"][0]["state"].str(), "up");
    EXPECT_EQ(a["upstreams"][0]["in_flight"].num(), 0);
    EXPECT_EQ(a["upstreams"][0]["requests"].num(), 1);
    EXPECT_EQ(doc["services"][1]["name"].str(), "apiB");
    EXPECT_EQ(doc["services"][1]["upstreams"].size(), 0);
}

TEST_F(AdminServices, GetsOneService) {
    auto response = admin("GET", "/services/apiA");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(JsonDoc(response.body)["name"].str(), "apiA");
    EXPECT_EQ(JsonDoc(response.body)["upstreams"][0]["address"].str(), one.address());

    auto unknown = admin("GET", "/services/nosuch");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(JsonDoc(unknown.body)["error"].str(), "unknown service 'nosuch'");
    auto bad = admin("GET", "/services/.hidden");
    EXPECT_EQ(bad.status, 400);
    EXPECT_FALSE(JsonDoc(bad.body)["error"].str().empty());
}

TEST_F(AdminServices, PutCreatesThenReplaces) {
    auto created =
        admin("PUT", "/services/apiC",
              R"({"route": "/c", "strip_prefix": true, "upstreams": [")" + one.address() +
                  R"(", {"address": ")" + two.address() + R"(", "weight": 2}]})");
    EXPECT_EQ(created.status, 201) << created.body;
    JsonDoc state(created.body);
    EXPECT_EQ(state["name"].str(), "apiC");
    EXPECT_EQ(state["route"].str(), "/c");
    EXPECT_TRUE(state["strip_prefix"].isTrue());
    ASSERT_EQ(state["upstreams"].size(), 2);
    EXPECT_EQ(state["upstreams"][1]["weight"].num(), 2);
    EXPECT_EQ(state["upstreams"][1]["state"].str(), "up");

    // Routed at once, and written to the file. One keep-alive connection stays on one
    // worker, whose round robin is exact (SPEC §9).
    std::string answers;
    HttpConnection connection("127.0.0.1", proxy_port);
    for (int i = 0; i < 3; ++i)
        answers += connection.request("GET", "/c/x").body + " ";
    EXPECT_EQ(answers, "two one two ");  // smooth weighted round robin, 2:1
    auto on_disk = parsed(file());
    ASSERT_NE(on_disk.findService("apiC"), nullptr);
    EXPECT_EQ(on_disk.findService("apiC")->route, "/c");
    EXPECT_EQ(on_disk.findService("apiC")->upstreams.size(), 2u);
    EXPECT_NE(file().find("route = \"/apiA\"  # keep me"), std::string::npos) << file();

    auto replaced =
        admin("PUT", "/services/apiC", R"({"upstreams": [")" + two.address() + R"("]})");
    EXPECT_EQ(replaced.status, 200) << replaced.body;
    EXPECT_EQ(JsonDoc(replaced.body)["route"].str(), "/apiC");  // absent keys: the defaults
    EXPECT_EQ(switchboard->proxy("GET", "/c/x").status, 404);
    EXPECT_EQ(switchboard->proxy("GET", "/apiC/x").body, "two");
    EXPECT_EQ(parsed(file()).findService("apiC")->route, "/apiC");

    // Putting the same again changes nothing and answers 200.
    auto same = admin("PUT", "/services/apiC", R"({"upstreams": [")" + two.address() + R"("]})");
    EXPECT_EQ(same.status, 200);
}

TEST_F(AdminServices, PutTakesEveryKeyOfTheTomlTable) {
    auto created = admin("PUT", "/services/full", R"({
        "route": "/full", "host": "example.com", "strategy": "consistent_hash",
        "strip_prefix": false, "hash_key": "header:X-User", "upstreams": [],
        "health_check": {"path": "/ping", "interval_ms": 500, "timeout_ms": 200, "rise": 1, "fall": 2}})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto on_disk = parsed(file());
    const auto* full = on_disk.findService("full");
    ASSERT_NE(full, nullptr);
    EXPECT_EQ(full->host, "example.com");
    EXPECT_EQ(full->strategy, "consistent_hash");
    EXPECT_EQ(full->hash_key, "header:X-User");
    ASSERT_TRUE(full->health_check);
    EXPECT_EQ(full->health_check->path, "/ping");
    EXPECT_EQ(full->health_check->interval_ms, 500);
    EXPECT_EQ(full->health_check->fall, 2);
    JsonDoc state(created.body);
    EXPECT_EQ(state["hash_key"].str(), "header:X-User");
    EXPECT_EQ(state["health_check"]["path"].str(), "/ping");
}

TEST_F(AdminServices, PutRefusesBadBodiesNamingTheFieldAndChangesNothing) {
    const std::string before = file();
    struct Case {
        std::string body;
        std::string field;  // "" when the body as a whole is wrong
    };
    const Case cases[] = {
        {"", ""},
        {"{\"route\": \"/x\",", ""},
        {"[1, 2]", ""},
        {"{} trailing", ""},
        {R"({"route": 5})", "route"},
        {R"({"route": "x"})", "route"},
        {R"({"rout": "/x"})", "rout"},
        {R"({"strip_prefix": "true"})", "strip_prefix"},
        {R"({"strategy": "fastest"})", "strategy"},
        {R"({"hash_key": "cookie"})", "hash_key"},
        {R"({"upstreams": {"address": "127.0.0.1:1"}})", "upstreams"},
        {R"({"upstreams": ["127.0.0.1:0"]})", "upstreams[0]"},
        {R"({"upstreams": ["127.0.0.1:1", {"address": "127.0.0.1:2", "weight": 1.5}]})",
         "upstreams[1].weight"},
        {R"({"upstreams": [{"address": "127.0.0.1:2", "weight": 1001}]})", "upstreams[0].weight"},
        {R"({"upstreams": ["127.0.0.1:2", "127.0.0.1:2"]})", "upstreams[1]"},
        {R"({"health_check": {"rise": 0}})", "health_check.rise"},
        {R"({"health_check": {"path": 1}})", "health_check.path"},
        {R"({"route": "/a", "route": "/b"})", "route"},
    };
    for (const auto& c : cases) {
        auto response = admin("PUT", "/services/apiB", c.body);
        EXPECT_EQ(response.status, 400) << c.body << " -> " << response.body;
        EXPECT_EQ(response.header("Content-Type"), "application/json");
        JsonDoc doc(response.body);
        EXPECT_FALSE(doc["error"].str().empty()) << c.body;
        if (!c.field.empty()) {
            EXPECT_EQ(doc["field"].str(), c.field) << c.body << " -> " << response.body;
            EXPECT_NE(doc["error"].str().find(c.field), std::string::npos) << response.body;
        }
    }
    // A route another service claims is refused like a duplicate in the file.
    auto clash = admin("PUT", "/services/apiB", R"({"route": "/apiA"})");
    EXPECT_EQ(clash.status, 400);
    EXPECT_NE(JsonDoc(clash.body)["error"].str().find("already claimed"), std::string::npos)
        << clash.body;
    // Bad names never reach the body.
    EXPECT_EQ(admin("PUT", "/services/a%2Fb", "{}").status, 400);
    EXPECT_EQ(admin("PUT", "/services/-x", "{}").status, 400);
    EXPECT_EQ(admin("PUT", "/services/" + std::string(65, 'a'), "{}").status, 400);

    EXPECT_EQ(file(), before);
    EXPECT_EQ(JsonDoc(admin("GET", "/services/apiB").body)["route"].str(), "/apiB");
}

TEST_F(AdminServices, DeleteService) {
    auto deleted = admin("DELETE", "/services/apiA");
    EXPECT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(JsonDoc(deleted.body)["name"].str(), "apiA");  // the service as it was
    EXPECT_EQ(JsonDoc(deleted.body)["upstreams"][0]["address"].str(), one.address());
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").status, 404);
    EXPECT_EQ(parsed(file()).findService("apiA"), nullptr);
    EXPECT_EQ(file().find("apiA"), std::string::npos) << file();
    EXPECT_EQ(admin("GET", "/services/apiA").status, 404);
    EXPECT_EQ(admin("DELETE", "/services/apiA").status, 404);
    EXPECT_EQ(admin("DELETE", "/services/bad%2Fname").status, 400);
}

TEST_F(AdminServices, PostUpstreamAddsAndSetsWeight) {
    const std::string path = "/services/apiA/upstreams";
    auto added = admin("POST", path, R"({"address": ")" + two.address() + R"(", "weight": 3})");
    EXPECT_EQ(added.status, 201) << added.body;
    JsonDoc state(added.body);
    ASSERT_EQ(state["upstreams"].size(), 2);
    EXPECT_EQ(state["upstreams"][1]["address"].str(), two.address());
    EXPECT_EQ(state["upstreams"][1]["weight"].num(), 3);
    EXPECT_EQ(parsed(file()).findService("apiA")->upstreams.size(), 2u);

    // Already there with that weight: 200, nothing written.
    std::string written = file();
    auto again = admin("POST", path, R"({"address": ")" + two.address() + R"(", "weight": 3})");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(file(), written);
    // No weight given: left as it is.
    EXPECT_EQ(admin("POST", path, R"({"address": ")" + two.address() + R"("})").status, 200);
    EXPECT_EQ(file(), written);
    // A different weight updates it: 200.
    auto reweighted =
        admin("POST", path, R"({"address": ")" + two.address() + R"(", "weight": 1})");
    EXPECT_EQ(reweighted.status, 200);
    EXPECT_EQ(JsonDoc(reweighted.body)["upstreams"][1]["weight"].num(), 1);
    EXPECT_EQ(parsed(file()).findService("apiA")->upstreams[1].weight, 1);
    std::string answers;
    HttpConnection connection("127.0.0.1", proxy_port);  // one worker: exact (SPEC §9)
    for (int i = 0; i < 4; ++i)
        answers += connection.request("GET", "/apiA").body + " ";
    EXPECT_EQ(answers, "one two one two ");

    auto unknown = admin("POST", "/services/nosuch/upstreams", R"({"address": "127.0.0.1:1"})");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(admin("POST", path, R"({"address": "127.0.0.1"})").status, 400);
    EXPECT_EQ(
        JsonDoc(admin("POST", path, R"({"address": "127.0.0.1:1", "weight": "2"})").body)["field"]
            .str(),
        "weight");
    EXPECT_EQ(admin("POST", path, R"({"weight": 2})").status, 400);
    EXPECT_EQ(admin("POST", path, "not json").status, 400);
    EXPECT_EQ(
        admin("POST", "/services/bad%2Fname/upstreams", R"({"address": "127.0.0.1:1"})").status,
        400);
}

TEST_F(AdminServices, DeleteUpstreamTakesIPv6BracketedOrPercentEncoded) {
    ASSERT_EQ(admin("POST", "/services/apiB/upstreams", R"({"address": "[::1]:3001"})").status,
              201);
    ASSERT_EQ(admin("POST", "/services/apiB/upstreams", R"({"address": "[::1]:3002"})").status,
              201);
    ASSERT_EQ(admin("POST", "/services/apiB/upstreams", R"({"address": "127.0.0.1:3003"})").status,
              201);

    auto encoded = admin("DELETE", "/services/apiB/upstreams/%5B0%3A0%3A%3A1%5D%3A3001");
    EXPECT_EQ(encoded.status, 200) << encoded.body;
    auto bracketed = admin("DELETE", "/services/apiB/upstreams/[::1]:3002");
    EXPECT_EQ(bracketed.status, 200) << bracketed.body;
    JsonDoc state(bracketed.body);
    ASSERT_EQ(state["upstreams"].size(), 1);
    EXPECT_EQ(state["upstreams"][0]["address"].str(), "127.0.0.1:3003");
    EXPECT_EQ(parsed(file()).findService("apiB")->upstreams.size(), 1u);

    EXPECT_EQ(admin("DELETE", "/services/apiB/upstreams/[::1]:3002").status, 404);
    EXPECT_EQ(admin("DELETE", "/services/nosuch/upstreams/127.0.0.1:3003").status, 404);
    EXPECT_EQ(admin("DELETE", "/services/apiB/upstreams/junk").status, 400);
    EXPECT_EQ(admin("DELETE", "/services/apiB/upstreams/127.0.0.1:70000").status, 400);
}

TEST_F(AdminServices, ConfigIsTheRunningConfigAsToml) {
    ASSERT_EQ(
        admin("POST", "/services/apiB/upstreams", R"({"address": "127.0.0.1:3001", "weight": 5})")
            .status,
        201);
    auto response = admin("GET", "/config");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "application/toml");
    auto running = parsed(response.body);
    EXPECT_EQ(running, parsed(file()));
    ASSERT_NE(running.findService("apiB"), nullptr);
    EXPECT_EQ(running.findService("apiB")->upstreams.at(0).weight, 5);
    EXPECT_EQ(running.proxy.listen.at(0), "127.0.0.1:" + std::to_string(proxy_port));
}

TEST_F(AdminServices, MethodsExactlyAsListedWithAllow) {
    struct Case {
        const char* method;
        std::string target;
        const char* allow;
    };
    const Case cases[] = {
        {"POST", "/services", "GET"},
        {"DELETE", "/services", "GET"},
        {"POST", "/services/apiA", "GET, PUT, DELETE"},
        {"PATCH", "/services/apiA", "GET, PUT, DELETE"},
        {"GET", "/services/apiA/upstreams", "POST"},
        {"PUT", "/services/apiA/upstreams", "POST"},
        {"HEAD", "/services/apiA/upstreams", "POST"},
        {"GET", "/services/apiA/upstreams/127.0.0.1:1", "DELETE, PATCH"},
        {"POST", "/services/apiA/upstreams/127.0.0.1:1", "DELETE, PATCH"},
        {"GET", "/reload", "POST"},
        {"HEAD", "/reload", "POST"},
        {"PUT", "/add_upstream/apiA/127.0.0.1:1", "POST"},
        {"POST", "/config", "GET"},
        {"DELETE", "/changes", "GET"},
        {"POST", "/metrics", "GET"},
        {"OPTIONS", "/services", "GET"},
        {"TRACE", "/services", "GET"},
        {"POST", "/healthz", "GET"},
    };
    const std::string before = file();
    for (const auto& c : cases) {
        auto response = admin(c.method, c.target);
        EXPECT_EQ(response.status, 405) << c.method << " " << c.target;
        EXPECT_EQ(response.header("Allow"), c.allow) << c.method << " " << c.target;
        if (std::string(c.method) != "HEAD") {
            EXPECT_FALSE(JsonDoc(response.body)["error"].str().empty())
                << c.method << " " << c.target;
        }
    }
    EXPECT_EQ(file(), before);
}

TEST_F(AdminServices, HeadAnswersLikeGetWithoutBody) {
    // One kept-alive connection: a body sent after a HEAD answer would corrupt the next one.
    HttpConnection connection("127.0.0.1", admin_port);
    for (const char* target :
         {"/services", "/services/apiA", "/config", "/changes", "/metrics", "/healthz"}) {
        auto head = connection.request("HEAD", target);
        EXPECT_EQ(head.status, 200) << target;
        EXPECT_TRUE(head.body.empty()) << target;
        auto get = connection.request("GET", target);
        EXPECT_EQ(get.status, 200) << target;
        EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type")) << target;
        if (std::string(target) != "/metrics") {  // its numbers may move between the two
            EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size())) << target;
        }
    }
    auto refused = connection.request("HEAD", "/reload");
    EXPECT_EQ(refused.status, 405);
    EXPECT_EQ(connection.request("GET", "/healthz").body, R"({"status":"ok"})");
}

TEST_F(AdminServices, UnknownPathsAre404Json) {
    // "/" is the status page (SPEC §11, status_page_test.cpp).
    for (const char* target :
         {"/index.html", "/service", "/services/apiA/upstream", "/services/apiA/upstreams/a/b"}) {
        auto response = admin("GET", target);
        EXPECT_EQ(response.status, 404) << target;
        EXPECT_EQ(response.header("Content-Type"), "application/json") << target;
    }
}

// libevent refuses a body over the admin port's 1 MiB before reading it; its 413 has an HTML
// body that we cannot replace (libevent 2.1 has no hook for it).
TEST_F(AdminServices, BodiesOverOneMebibyteAreRefused) {
    const std::string before = file();
    // Only the head is sent: libevent answers on the declared length and closes, so a client
    // still sending a megabyte could see the close (a reset) instead of the answer.
    HttpConnection connection("127.0.0.1", switchboard->adminPort());
    auto response = connection.raw("PUT /services/big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                   std::to_string((1 << 20) + 1) + "\r\n\r\n{");
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(file(), before);
    EXPECT_EQ(admin("GET", "/services/big").status, 404);
    // Just under the limit is read and judged on its content.
    std::string padded = R"({"route": "/big"})" + std::string((1 << 20) - 100, ' ');
    EXPECT_EQ(admin("PUT", "/services/big", padded).status, 201);
}

// The admin API is only on the admin port: on the proxy port its paths are routed like any
// other path.
TEST_F(AdminServices, ProxyPortNeverAnswersAdminCalls) {
    for (const char* target : {"/services", "/healthz", "/config", "/metrics", "/changes"}) {
        auto response = switchboard->proxy("GET", target);
        EXPECT_EQ(response.status, 404) << target;
        EXPECT_EQ(JsonDoc(response.body)["error"].str(), "no route") << target << response.body;
    }
    auto put = switchboard->proxy("PUT", "/services/evil", R"({"route": "/evil"})");
    EXPECT_EQ(put.status, 404);
    EXPECT_EQ(admin("GET", "/services/evil").status, 404);
    auto reload = switchboard->proxy("POST", "/reload");
    EXPECT_EQ(reload.status, 404);

    // With a catch-all service, they go to the upstream.
    ASSERT_EQ(admin("PUT", "/services/all",
                    R"({"route": "/", "upstreams": [")" + two.address() + R"("]})")
                  .status,
              201);
    EXPECT_EQ(switchboard->proxy("GET", "/services").body, "two");
    EXPECT_EQ(switchboard->proxy("GET", "/metrics").body, "two");
}

TEST_F(AdminServices, EditedFileRefusesChangesWith409) {
    std::string edited = file() + "\n# an operator's edit\n";
    writeFile(path(), edited);
    auto refused = admin("PUT", "/services/apiC", "{}");
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(JsonDoc(refused.body)["error"].str(), "config file changed on disk; reload first");
    EXPECT_EQ(admin("DELETE", "/services/apiA").status, 409);
    EXPECT_EQ(admin("POST", "/services/apiA/upstreams", R"({"address": "127.0.0.1:9"})").status,
              409);
    EXPECT_EQ(admin("DELETE", "/services/apiA/upstreams/" + one.address()).status, 409);
    EXPECT_EQ(file(), edited);
    EXPECT_EQ(admin("GET", "/services/apiC").status, 404);
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").body, "one");
    ASSERT_EQ(admin("POST", "/reload").status, 200);
    EXPECT_EQ(admin("PUT", "/services/apiC", "{}").status, 201);
}
