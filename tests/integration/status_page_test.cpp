// SPDX-License-Identifier: Apache-2.0
// SPEC §11 status page: GET / on the admin port, in a real browser (headless Chromium over
// its DevTools protocol) and over plain HTTP. The browser tests fail, not skip, without
// chromium: `make deps` installs it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "harness/admin_helpers.h"
#include "harness/headless_chromium.h"

using namespace harness;

namespace {

constexpr const char* kToken = "s3cret-t0ken";

// catalog-a answers 500 to /catalog/fail, so that the page has a 5xx rate to show.
UpstreamReply failOnRequest(const ReceivedRequest& request) {
    UpstreamReply reply;
    reply.status = request.target.find("/fail") != std::string::npos ? 500 : 200;
    reply.body = "catalog-a";
    return reply;
}

class StatusPage : public AdminTest {
  protected:
    // Three services, three strategies: an upstream in drain and one in maint from the file,
    // and one down (its health check finds nothing listening).
    std::string threeServices() const {
        return "\n[services.catalog]\nroute = \"/catalog\"\nstrategy = \"round_robin\"\n"
               "upstreams = [\"" +
               catalog_a.address() + "\", { address = \"" + catalog_b.address() +
               "\", weight = 2, admin_state = \"drain\" }]\n"
               "\n[services.checkout]\nroute = \"/checkout\"\nhost = \"shop.example.com\"\n"
               "strategy = \"least_conn\"\nupstreams = [\"" +
               checkout_c.address() + "\", { address = \"" + checkout_d.address() +
               "\", admin_state = \"maint\" }]\n"
               "\n[services.search]\nroute = \"/search\"\nstrategy = \"consistent_hash\"\n"
               "upstreams = [\"" +
               search_e.address() + "\", \"" + closedAddress() +
               "\"]\n"
               // A refused connect fails at once; a live upstream slow to answer on a busy
               // machine must not be taken down by one late check.
               "health_check = { path = \"/\", interval_ms = 100, timeout_ms = 2000, rise = 1, "
               "fall = 2 }\n";
    }
    std::string closedAddress() const { return "127.0.0.1:" + std::to_string(closed_port); }
    std::string pageUrl() const { return "http://127.0.0.1:" + std::to_string(admin_port) + "/"; }

    // Health checks run from the start; the page should find the closed port down already.
    void waitUntilDown(const std::string& service, const std::string& address) {
        EXPECT_TRUE(eventually(
            [&] {
                JsonDoc doc(admin("GET", "/services/" + service).body);
                for (int i = 0; i < doc["upstreams"].size(); ++i)
                    if (doc["upstreams"][i]["address"].str() == address)
                        return doc["upstreams"][i]["state"].str() == "down";
                return false;
            },
            5000))
            << address << " never went down";
    }

    // Loads the page and waits until its script has rendered the API's answers.
    void openPage(HeadlessChromium& browser) {
        ASSERT_TRUE(browser.started()) << browser.error();
        CdpReply loaded = browser.navigate(pageUrl());
        ASSERT_TRUE(loaded.ok) << loaded.error;
    }

    // The value of a JS expression that answers JSON.stringify(...), parsed.
    JsonDoc evaluateJson(HeadlessChromium& browser, const std::string& expression) {
        CdpReply reply = browser.evaluate("JSON.stringify(" + expression + ")");
        EXPECT_TRUE(reply.ok) << reply.error;
        JsonDoc text(reply.result);  // a JSON string holding JSON
        return JsonDoc(text.valid() ? text.str() : "null");
    }

    // Into the test's temp dir, and into $SWITCHBOARD_SCREENSHOT_DIR when it is set (the
    // README's picture comes from there).
    void saveScreenshot(HeadlessChromium& browser, const std::string& name) {
        std::string png = browser.screenshotPng();
        ASSERT_GT(png.size(), 1000u) << "no screenshot";
        EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
        writeFile(dir.file(name), png);
        if (const char* out = std::getenv("SWITCHBOARD_SCREENSHOT_DIR"); out && *out) {
            std::filesystem::create_directories(out);
            writeFile(std::string(out) + "/" + name, png);
        }
    }

    UpstreamServer catalog_a{"catalog-a", failOnRequest}, catalog_b{"catalog-b"},
        checkout_c{"checkout-c"}, checkout_d{"checkout-d"}, search_e{"search-e"};
    int closed_port = freePort();
};

// Each upstream row as the page shows it: service, address, weight, admin state, health,
// in flight.
const char* const kRowsExpression =
    "[...document.querySelectorAll('tr[data-upstream]')].map((row) => "
    "[row.dataset.service, ...[...row.cells].slice(0, 5).map((cell) => cell.textContent.trim())])";

std::vector<std::string> row(const JsonDoc& rows, int index) {
    std::vector<std::string> cells;
    for (int i = 0; i < rows[index].size(); ++i)
        cells.push_back(rows[index][i].str());
    return cells;
}

}  // namespace

TEST_F(StatusPage, ServedWithoutTheTokenAsOneSelfContainedHtmlPage) {
    start(threeServices(), kToken);
    auto page = switchboard->admin("GET", "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(page.header("Cache-Control"), "no-store");
    const std::string policy = page.header("Content-Security-Policy");
    EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
    EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
    EXPECT_NE(page.body.find("<!DOCTYPE html>"), std::string::npos);

    // Nothing from outside the admin port: no absolute or protocol-relative URL at all.
    EXPECT_EQ(page.body.find("http://"), std::string::npos);
    EXPECT_EQ(page.body.find("https://"), std::string::npos);
    EXPECT_FALSE(std::regex_search(page.body, std::regex(R"((src|href|action)\s*=\s*["']?//)")));
    EXPECT_FALSE(std::regex_search(page.body, std::regex(R"(@import|url\()")));
    // The page holds no data: the services are not in it.
    EXPECT_EQ(page.body.find(catalog_a.address()), std::string::npos);

    EXPECT_EQ(switchboard->admin("GET", "/services").status, 401);
    EXPECT_EQ(switchboard->admin("GET", "/changes").status, 401);
    auto head = switchboard->admin("HEAD", "/");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ(head.header("Content-Length"), std::to_string(page.body.size()));
    auto post = switchboard->admin("POST", "/");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("Allow"), "GET");
    // Only the root is public: another path is still 401 without the token.
    EXPECT_EQ(switchboard->admin("GET", "/index.html").status, 401);
}

TEST_F(StatusPage, BrowserShowsEveryServiceAndUpstreamWithItsStates) {
    start(threeServices());
    waitUntilDown("search", closedAddress());
    // Traffic for the counters (3 of 20 answered 500), and two changes for the journal.
    for (int i = 0; i < 20; ++i)
        switchboard->proxy("GET", i % 7 == 0 ? "/catalog/fail" : "/catalog/item");
    ASSERT_EQ(
        admin("PATCH", "/services/catalog/upstreams/" + catalog_a.address(), R"({"weight": 3})")
            .status,
        200);
    ASSERT_EQ(admin("POST", "/reload").status, 200);

    HeadlessChromium browser;
    ASSERT_NO_FATAL_FAILURE(openPage(browser));
    ASSERT_TRUE(browser.waitFor("document.body.dataset.loaded === 'true'"))
        << browser.evaluate("document.body.innerText").result;

    JsonDoc rows = evaluateJson(browser, kRowsExpression);
    ASSERT_EQ(rows.size(), 6) << browser.evaluate("document.body.innerText").result;
    using Row = std::vector<std::string>;
    EXPECT_EQ(row(rows, 0), (Row{"catalog", catalog_a.address(), "3", "active", "up", "0"}));
    EXPECT_EQ(row(rows, 1), (Row{"catalog", catalog_b.address(), "2", "drain", "up", "0"}));
    EXPECT_EQ(row(rows, 2), (Row{"checkout", checkout_c.address(), "1", "active", "up", "0"}));
    EXPECT_EQ(row(rows, 3), (Row{"checkout", checkout_d.address(), "1", "maint", "up", "0"}));
    EXPECT_EQ(row(rows, 4), (Row{"search", search_e.address(), "1", "active", "up", "0"}));
    EXPECT_EQ(row(rows, 5), (Row{"search", closedAddress(), "1", "active", "down", "0"}));

    JsonDoc heads = evaluateJson(browser, "[...document.querySelectorAll('section.service "
                                          ".card-head')].map((head) => head.textContent)");
    ASSERT_EQ(heads.size(), 3);
    EXPECT_EQ(heads[0].str(), "catalogroute /catalogstrategy round_robin");
    EXPECT_EQ(heads[1].str(), "checkoutroute /checkouthost shop.example.comstrategy least_conn");
    EXPECT_EQ(heads[2].str(), "searchroute /searchstrategy consistent_hash");

    // Requests and the 5xx rate of catalog-a: all 20 went to it (catalog-b drains).
    JsonDoc counters = evaluateJson(
        browser, "[...document.querySelector('tr[data-upstream=" + jsString(catalog_a.address()) +
                     "]').cells].slice(5, 7).map((cell) => cell.textContent)");
    EXPECT_EQ(counters[0].str(), "20");
    EXPECT_EQ(counters[1].str(), "–15% overall");

    // The changes, newest first, each with its call and status.
    JsonDoc changes = evaluateJson(browser, "[...document.querySelectorAll('tr.change')].map("
                                            "(row) => [...row.cells].map((c) => c.textContent))");
    ASSERT_EQ(changes.size(), 2);
    EXPECT_EQ(changes[0][2].str(), "POST /reload");
    EXPECT_EQ(changes[0][1].str(), "127.0.0.1");
    EXPECT_EQ(changes[0][3].str(), "200");
    EXPECT_EQ(changes[1][2].str(), "PATCH /services/catalog/upstreams/" + catalog_a.address());
    EXPECT_NE(changes[1][4].str().find("weight of " + catalog_a.address() + " 1 -> 3"),
              std::string::npos)
        << changes[1][4].str();

    // It refreshes itself: new traffic shows within a refresh (2 s), with its recent 5xx rate:
    // 1 of these 4, unless a refresh fell between them (then the share of those after it).
    const std::string cells =
        "document.querySelector('tr[data-upstream=" + jsString(catalog_a.address()) + "]').cells";
    for (int i = 0; i < 4; ++i)
        switchboard->proxy("GET", i == 0 ? "/catalog/fail" : "/catalog/item");
    EXPECT_TRUE(browser.waitFor(cells + "[5].textContent === '24'", 4000));
    const std::string rate = evaluateJson(browser, cells + "[6].textContent").str();
    EXPECT_TRUE(std::regex_match(rate, std::regex("(25|0|33|50|100)%17% overall"))) << rate;
    saveScreenshot(browser, "status-page.png");
}

TEST_F(StatusPage, DrainButtonSendsPatchAndTheChangeIsSaved) {
    start(threeServices());
    HeadlessChromium browser;
    ASSERT_NO_FATAL_FAILURE(openPage(browser));
    const std::string row = "document.querySelector('tr[data-service=\"checkout\"][data-upstream=" +
                            jsString(checkout_c.address()) + "]')";
    ASSERT_TRUE(browser.waitFor(row + ".dataset.adminState === 'active'"));
    CdpReply clicked = browser.evaluate(row + ".querySelector('button.set-drain').click()");
    ASSERT_TRUE(clicked.ok) << clicked.error;
    EXPECT_TRUE(browser.waitFor(row + ".dataset.adminState === 'drain'", 4000));

    JsonDoc service(admin("GET", "/services/checkout").body);
    EXPECT_EQ(service["upstreams"][0]["address"].str(), checkout_c.address());
    EXPECT_EQ(service["upstreams"][0]["admin_state"].str(), "drain");
    EXPECT_NE(
        file().find("{ address = \"" + checkout_c.address() + "\", admin_state = \"drain\" }"),
        std::string::npos)
        << file();
    EXPECT_TRUE(browser.waitFor("[...document.querySelectorAll('tr.change')].some((row) => "
                                "row.cells[2].textContent === 'PATCH /services/checkout/"
                                "upstreams/" +
                                checkout_c.address() + "')"));

    // Activate puts it back.
    CdpReply activated = browser.evaluate(row + ".querySelector('button.set-active').click()");
    ASSERT_TRUE(activated.ok) << activated.error;
    EXPECT_TRUE(browser.waitFor(row + ".dataset.adminState === 'active'", 4000));
    EXPECT_EQ(JsonDoc(admin("GET", "/services/checkout").body)["upstreams"][0]["admin_state"].str(),
              "active");

    // A refused PATCH shows the API's error text: the upstream is removed behind the page's
    // back, then its (still shown) Maintenance button is clicked.
    CdpReply refused = browser.evaluate(
        "(async () => { const button = " + row +
        ".querySelector('button.set-maint'); await fetch('/services/checkout/upstreams/" +
        checkout_c.address() + "', {method: 'DELETE'}); button.click(); })()");
    ASSERT_TRUE(refused.ok) << refused.error;
    EXPECT_TRUE(browser.waitFor("document.getElementById('notice').textContent === 'Could not "
                                "set " +
                                    checkout_c.address() +
                                    " of checkout to maint: 404 service \\'checkout\\' has no "
                                    "upstream \\'" +
                                    checkout_c.address() + "\\''",
                                4000))
        << browser.evaluate("document.getElementById('notice').textContent").result;
}

TEST_F(StatusPage, WithATokenThePageAsksForItAndSendsItAsBearer) {
    start(threeServices(), kToken);
    HeadlessChromium browser;
    ASSERT_TRUE(browser.started()) << browser.error();
    ASSERT_TRUE(browser.call("Network.enable").ok);
    ASSERT_NO_FATAL_FAILURE(openPage(browser));

    // No data without the token: the form, and no upstream anywhere on the page.
    const std::string asking = "document.getElementById('login').classList.contains('shown')";
    ASSERT_TRUE(browser.waitFor(asking)) << browser.evaluate("document.body.innerText").result;
    EXPECT_EQ(browser.evaluate("document.querySelectorAll('tr[data-upstream]').length").result,
              "0");
    EXPECT_EQ(
        browser.evaluate("document.body.innerText.includes(" + jsString(catalog_a.address()) + ")")
            .result,
        "false");

    // A wrong token is asked for again.
    ASSERT_TRUE(browser
                    .evaluate("document.getElementById('token').value = 'wrong'; "
                              "document.getElementById('login-submit').click()")
                    .ok);
    EXPECT_TRUE(browser.waitFor(asking + " && document.getElementById('login-problem')"
                                         ".textContent.includes('refused')"))
        << browser.evaluate("document.getElementById('login-problem').textContent").result;

    // The right one, typed in: the data shows, and the token stays in this tab's storage.
    ASSERT_TRUE(browser.evaluate("document.getElementById('token').focus()").ok);
    ASSERT_TRUE(browser.call("Input.insertText", R"({"text":)" + jsString(kToken) + "}").ok);
    ASSERT_TRUE(browser.evaluate("document.getElementById('login-submit').click()").ok);
    ASSERT_TRUE(browser.waitFor("document.querySelectorAll('tr[data-upstream]').length === 6"))
        << browser.evaluate("document.body.innerText").result;
    EXPECT_FALSE(browser.evaluate(asking).result == "true");
    EXPECT_EQ(browser.evaluate("sessionStorage.getItem('switchboard.admin.token')").result,
              jsString(kToken));
    EXPECT_EQ(browser.evaluate("localStorage.length").result, "0");

    // Every API call after the token was entered carried it.
    int with_token = 0;
    for (const std::string& params : browser.events("Network.requestWillBeSent")) {
        JsonDoc event(params);
        const std::string url = event["request"]["url"].str();
        if (url.find("/services") == std::string::npos)
            continue;
        const std::string authorization = event["request"]["headers"]["Authorization"].str();
        if (authorization == std::string("Bearer ") + kToken)
            ++with_token;
        else
            EXPECT_TRUE(authorization == "<not a string>" || authorization == "Bearer wrong")
                << authorization;
    }
    EXPECT_GE(with_token, 1);
    saveScreenshot(browser, "status-page-token.png");
}
