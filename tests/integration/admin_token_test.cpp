// SPDX-License-Identifier: Apache-2.0
// SPEC §5 token: with admin.token set, every call but /healthz needs
// "Authorization: Bearer <token>"; otherwise 401 JSON with WWW-Authenticate.
#include <gtest/gtest.h>

#include "harness/admin_helpers.h"

using namespace harness;

namespace {

class AdminToken : public AdminTest {
  protected:
    void SetUp() override { start("\n[services.apiA]\nupstreams = []\n", "s3cret-T0ken"); }

    HttpResponse as(const std::string& authorization, const std::string& method,
                    const std::string& target, const std::string& body = "") {
        std::vector<std::pair<std::string, std::string>> headers;
        if (!authorization.empty())
            headers.push_back({"Authorization", authorization});
        return switchboard->admin(method, target, body, headers);
    }
};

struct Call {
    const char* method;
    const char* target;
    const char* body;
};

const Call kEveryCall[] = {
    {"GET", "/services", ""},
    {"GET", "/services/apiA", ""},
    {"PUT", "/services/apiB", "{}"},
    {"DELETE", "/services/apiA", ""},
    {"POST", "/services/apiA/upstreams", R"({"address": "127.0.0.1:3001"})"},
    {"DELETE", "/services/apiA/upstreams/127.0.0.1:3001", ""},
    {"POST", "/add_upstream/apiA/127.0.0.1:3001", ""},
    {"POST", "/remove_upstream/apiA/127.0.0.1:3001", ""},
    {"POST", "/reload", ""},
    {"PUT", "/services/apiB?dry_run=1", "{}"},
    {"GET", "/config", ""},
    {"GET", "/changes", ""},
    {"GET", "/metrics", ""},
    {"GET", "/no/such/path", ""},
    {"PATCH", "/services", ""},
};

}  // namespace

TEST_F(AdminToken, EveryCallButHealthzNeedsTheToken) {
    const std::string before = file();
    for (const auto& authorization :
         {std::string(), std::string("Bearer wrong"), std::string("Bearer s3cret-T0ke"),
          std::string("Bearer s3cret-T0ken0"), std::string("Basic czNjcmV0LVQwa2Vu"),
          std::string("s3cret-T0ken"), std::string("Bearer S3CRET-T0KEN")}) {
        for (const auto& call : kEveryCall) {
            auto response = as(authorization, call.method, call.target, call.body);
            EXPECT_EQ(response.status, 401)
                << authorization << ": " << call.method << " " << call.target;
            EXPECT_EQ(response.header("Content-Type"), "application/json");
            EXPECT_EQ(response.header("WWW-Authenticate").rfind("Bearer", 0), 0u);
            EXPECT_FALSE(JsonDoc(response.body)["error"].str().empty());
        }
    }
    EXPECT_EQ(file(), before);  // nothing changed
    EXPECT_EQ(as("", "GET", "/healthz").status, 200);
    EXPECT_EQ(as("Bearer wrong", "GET", "/healthz").status, 200);
}

TEST_F(AdminToken, TheRightTokenOpensEveryCall) {
    for (const auto& call : kEveryCall) {
        auto response = as("Bearer s3cret-T0ken", call.method, call.target, call.body);
        EXPECT_NE(response.status, 401)
            << call.method << " " << call.target << " " << response.body;
    }
    EXPECT_EQ(as("bearer  s3cret-T0ken ", "GET", "/services").status, 200);  // scheme in any case
}

TEST_F(AdminToken, ReloadCanChangeTheToken) {
    std::string text = file();
    text.replace(text.find("s3cret-T0ken"), 12, "new-token");
    writeFile(path(), text);
    ASSERT_EQ(as("Bearer s3cret-T0ken", "POST", "/reload").status, 200);
    EXPECT_EQ(as("Bearer s3cret-T0ken", "GET", "/services").status, 401);
    EXPECT_EQ(as("Bearer new-token", "GET", "/services").status, 200);
}

class AdminWithoutToken : public AdminTest {};

TEST_F(AdminWithoutToken, NoAuthorizationNeeded) {
    start("");
    ASSERT_TRUE(switchboard);
    EXPECT_EQ(switchboard->admin("GET", "/services").status, 200);
    EXPECT_EQ(
        switchboard->admin("GET", "/services", "", {{"Authorization", "Bearer anything"}}).status,
        200);
}
