// SPDX-License-Identifier: Apache-2.0
// SPEC §5 dry run: `?dry_run=1` answers as the call would, plus the unified diff it would make
// to the config file, and changes nothing; the diff is exactly what the real call then writes.
#include <gtest/gtest.h>

#include <csignal>

#include "harness/admin_helpers.h"
#include "switchboard/admin/unified_diff.h"

using namespace harness;

namespace {

class AdminDryRun : public AdminTest {
  protected:
    void SetUp() override {
        start("\n# the main API\n[services.apiA]   # header comment\nroute = \"/apiA\"  # keep me\n"
              "upstreams = [\"" +
              one.address() +
              "\"]  # ours\n\n[services.apiB]\nupstreams = []\n"
              "# trailing comment\n");
    }

    // The file's name as the diff headers give it: its path without the leading '/'.
    std::string diffName() const { return path().substr(1); }

    // Runs `method target body` first as a dry run, then for real, and checks that the dry
    // run changed nothing, answered as the real call did, and showed the diff the real call
    // made to the file.
    void expectDryRunMatches(const std::string& method, const std::string& target,
                             const std::string& body = "") {
        SCOPED_TRACE(method + " " + target + " " + body);
        const std::string file_before = file();
        const std::string services_before = admin("GET", "/services").body;
        const std::string journal_before = admin("GET", "/changes").body;
        const std::string separator = target.find('?') == std::string::npos ? "?" : "&";

        auto dry = admin(method, target + separator + "dry_run=1", body);
        EXPECT_EQ(file(), file_before) << "the dry run wrote the file";
        EXPECT_EQ(admin("GET", "/services").body, services_before)
            << "the dry run changed the state";
        EXPECT_EQ(admin("GET", "/changes").body, journal_before) << "the dry run was journaled";
        EXPECT_EQ(dry.header("Content-Type"), "application/json");
        JsonDoc dry_doc(dry.body);
        ASSERT_TRUE(dry_doc["diff"].str() != "<not a string>") << dry.body;

        auto real = admin(method, target, body);
        EXPECT_EQ(dry.status, real.status) << dry.body << "\n" << real.body;
        EXPECT_EQ(withoutMember(dry.body, "diff"), real.body);
        EXPECT_EQ(dry_doc["diff"].str(), switchboard::unifiedDiff(file_before, file(), diffName()));
        if (file() != file_before) {
            EXPECT_EQ(dry_doc["diff"].str().rfind(
                          "--- a/" + diffName() + "\n+++ b/" + diffName() + "\n@@ ", 0),
                      0u)
                << dry_doc["diff"].str();
        }
    }

    UpstreamServer one{"one"}, two{"two"};
};

}  // namespace

TEST_F(AdminDryRun, EveryMutatingCallPreviewsExactlyWhatItThenDoes) {
    expectDryRunMatches("PUT", "/services/apiC",
                        R"({"route": "/c", "upstreams": [")" + two.address() + R"("]})");
    expectDryRunMatches(
        "PUT", "/services/apiC",
        R"({"route": "/c2", "strategy": "least_conn", "health_check": {"path": "/h"}})");
    expectDryRunMatches("POST", "/services/apiA/upstreams",
                        R"({"address": ")" + two.address() + R"("})");
    expectDryRunMatches("POST", "/services/apiA/upstreams",
                        R"({"address": ")" + two.address() + R"(", "weight": 4})");
    expectDryRunMatches("DELETE", "/services/apiA/upstreams/" + one.address());
    expectDryRunMatches("POST", "/add_upstream/apiB/" + one.address());
    expectDryRunMatches("POST", "/add_upstream/newsvc/" + one.address());
    expectDryRunMatches("POST", "/remove_upstream/apiB/" + one.address());
    expectDryRunMatches("DELETE", "/services/apiC");
    expectDryRunMatches("DELETE", "/services/newsvc");
    // The operator's comments survive all of it.
    EXPECT_NE(file().find("route = \"/apiA\"  # keep me"), std::string::npos) << file();
    EXPECT_NE(file().find("# trailing comment"), std::string::npos) << file();
}

TEST_F(AdminDryRun, ShowsAUnifiedDiffOfTheFile) {
    auto dry = admin("POST", "/services/apiA/upstreams?dry_run=1",
                     R"({"address": ")" + two.address() + R"(", "weight": 2})");
    EXPECT_EQ(dry.status, 201);
    std::string diff = JsonDoc(dry.body)["diff"].str();
    EXPECT_NE(diff.find("-upstreams = [\"" + one.address() + "\"]  # ours\n"), std::string::npos)
        << diff;
    EXPECT_NE(diff.find("+upstreams = [\"" + one.address() + "\", { address = \"" + two.address() +
                        "\", weight = 2 }]  # ours\n"),
              std::string::npos)
        << diff;
    EXPECT_NE(diff.find(" route = \"/apiA\"  # keep me\n"), std::string::npos) << diff;  // context
    // The answer is the state the call would leave.
    JsonDoc state(dry.body);
    ASSERT_EQ(state["upstreams"].size(), 2);
    EXPECT_EQ(state["upstreams"][1]["address"].str(), two.address());
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").body, "one");
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").body, "one");
}

TEST_F(AdminDryRun, CallsThatChangeNothingHaveAnEmptyDiff) {
    auto same = admin("POST", "/add_upstream/apiA/" + one.address() + "?dry_run=1");
    EXPECT_EQ(same.status, 200);
    EXPECT_EQ(JsonDoc(same.body)["diff"].str(), "");
    auto weight = admin("POST", "/services/apiA/upstreams?dry_run=true",
                        R"({"address": ")" + one.address() + R"(", "weight": 1})");
    EXPECT_EQ(weight.status, 200);
    EXPECT_EQ(JsonDoc(weight.body)["diff"].str(), "");
}

TEST_F(AdminDryRun, RefusalsAreTheSameAsForTheRealCall) {
    EXPECT_EQ(admin("PUT", "/services/apiC?dry_run=1", R"({"route": 1})").status, 400);
    EXPECT_EQ(admin("PUT", "/services/apiC?dry_run=1", R"({"route": "/apiA"})").status, 400);
    EXPECT_EQ(admin("DELETE", "/services/nosuch?dry_run=1").status, 404);
    EXPECT_EQ(admin("POST", "/remove_upstream/apiA/127.0.0.1:9?dry_run=1").status, 404);
    EXPECT_EQ(admin("PUT", "/services/apiC?dry_run=maybe", "{}").status, 400);
    // A file edited on disk: the real call would be refused, so is the dry run.
    writeFile(path(), file() + "# edited\n");
    auto conflict = admin("PUT", "/services/apiC?dry_run=1", "{}");
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(JsonDoc(conflict.body)["error"].str(), "config file changed on disk; reload first");
    // dry_run=0 is a real call.
    ASSERT_EQ(admin("POST", "/reload").status, 200);
    EXPECT_EQ(admin("PUT", "/services/apiC?dry_run=0", "{}").status, 201);
    EXPECT_EQ(admin("GET", "/services/apiC").status, 200);
}

TEST_F(AdminDryRun, ReloadPreviewShowsWhatTheFileWouldBringIn) {
    const std::string loaded = file();
    std::string edited = loaded + "\n[services.fromops]\nupstreams = [\"" + two.address() + "\"]\n";
    writeFile(path(), edited);

    auto dry = admin("POST", "/reload?dry_run=1");
    EXPECT_EQ(dry.status, 200) << dry.body;
    JsonDoc doc(dry.body);
    EXPECT_EQ(doc["services"]["added"][0].str(), "fromops");
    EXPECT_EQ(doc["diff"].str(), switchboard::unifiedDiff(loaded, edited, diffName()));
    EXPECT_EQ(switchboard->proxy("GET", "/fromops").status, 404);  // not taken in
    EXPECT_EQ(admin("GET", "/services/fromops").status, 404);

    auto real = admin("POST", "/reload");
    EXPECT_EQ(real.status, 200);
    EXPECT_EQ(JsonDoc(dry.body)["status"].str(), "dry run: nothing reloaded");
    EXPECT_EQ(JsonDoc(real.body)["status"].str(), "reloaded");
    EXPECT_EQ(withoutMember(withoutMember(dry.body, "diff"), "status"),
              withoutMember(real.body, "status"));
    EXPECT_EQ(switchboard->proxy("GET", "/fromops").body, "two");

    writeFile(path(), edited + "[services.broken\n");
    auto broken = admin("POST", "/reload?dry_run=1");
    EXPECT_EQ(broken.status, 400);
    EXPECT_FALSE(JsonDoc(broken.body)["errors"][0].str().empty()) << broken.body;
    EXPECT_EQ(switchboard->proxy("GET", "/fromops").body, "two");
}
