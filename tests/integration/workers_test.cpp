// SPDX-License-Identifier: Apache-2.0
// SPEC §9 (issue 14): N proxy workers, one shared configuration. Every test here starts
// switchboard with `workers = 4` (or "auto") whatever SWITCHBOARD_TEST_WORKERS says, and sends
// its requests on new connections, which the kernel spreads over the workers' SO_REUSEPORT
// listeners: what one worker does, all of them must.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/admin_helpers.h"
#include "harness/raw_connection.h"

using namespace harness;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kWorkers = 4;

// Holds the upstream's answers to slow requests until the test opens it (or, so that a failing
// test never hangs, until a deadline). UpstreamServer runs a handler on the connection's own
// thread, so a handler that waits here keeps that request in flight.
class Gate {
  public:
    void wait() {
        std::unique_lock lock(mutex_);
        opened_.wait_for(lock, std::chrono::seconds(20), [this] { return open_; });
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
};

// The threads of a process (entries of /proc/PID/task), or -1.
int threadCount(pid_t pid) {
    DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
    if (!dir)
        return -1;
    int count = 0;
    while (dirent* entry = readdir(dir))
        count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
}

// The CPUs this process may run on: what `workers = "auto"` means.
int allowedCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

class Workers : public ::testing::Test {
  protected:
    // A switchboard with `workers = <workers_toml>`, `proxy_extra` in [proxy], and `services`.
    // Retried on fresh ports when another test's process took one first (as AdminTest does).
    void start(const std::string& services, const std::string& proxy_extra = "",
               const std::string& workers_toml = std::to_string(kWorkers)) {
        std::string last_log;
        for (int attempt = 0; attempt < 5; ++attempt) {
            writeFile(path(), config(services, proxy_extra, workers_toml));
            switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
            if (switchboard->started() && switchboard->running())
                return;
            last_log = switchboard->log();
            switchboard.reset();
            proxy_port = freePort();
            admin_port = freePort();
        }
        FAIL() << "switchboard did not start:\n" << last_log;
    }

    std::string config(const std::string& services, const std::string& proxy_extra = "",
                       const std::string& workers_toml = std::to_string(kWorkers)) const {
        std::string head = configHead(proxy_port, admin_port, workers_toml);
        head.insert(head.find("\n[admin]"), proxy_extra);
        return head + services;
    }

    static std::string service(const std::string& name, const std::vector<std::string>& addresses,
                               const std::string& extra = "") {
        std::string list;
        for (const auto& address : addresses)
            list += (list.empty() ? "\"" : ", \"") + address + "\"";
        return "\n[services." + name + "]\n" + extra + "upstreams = [" + list + "]\n";
    }

    // The upstream `address` of `service` in GET /services/<service>, or an invalid doc.
    JsonDoc upstreamState(const std::string& name, const std::string& address) const {
        JsonDoc doc(switchboard->admin("GET", "/services/" + name).body);
        for (int i = 0; doc["upstreams"][i].valid(); ++i)
            if (doc["upstreams"][i]["address"].str() == address)
                return doc["upstreams"][i];
        return doc["no such upstream"];
    }

    std::string path() const { return dir.file("switchboard.toml"); }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

// Requests an upstream received other than its health checks.
int servedRequests(const UpstreamServer& upstream) {
    int count = 0;
    for (const auto& request : upstream.requests())
        count += request.target != "/health";
    return count;
}

}  // namespace

// The premise of every other test here: four workers are four threads besides whatever else
// the process runs (SPEC §9: "each worker is a thread"), and "auto" is one per allowed CPU.
TEST_F(Workers, EachWorkerIsAThread) {
    start("");
    EXPECT_GE(threadCount(switchboard->pid()), kWorkers) << "workers = 4 runs in fewer threads";
    switchboard.reset();
    start("", "", "\"auto\"");
    EXPECT_GE(threadCount(switchboard->pid()), allowedCpus())
        << "workers = \"auto\" runs in fewer threads than the " << allowedCpus()
        << " CPUs this process may use";
}

// (a) SPEC §9: a change is in effect on every worker before the call that made it answers.
TEST_F(Workers, ChangeAnsweredIsSeenByTheNextRequestOnEveryWorker) {
    UpstreamServer a("a"), b("b");
    start(service("svc", {a.address()}));
    // Each change, then at once one request on a new connection (any worker): it must see it.
    for (int round = 0; round < 50; ++round) {
        const UpstreamServer& now = round % 2 ? a : b;
        auto put = switchboard->admin("PUT", "/services/svc",
                                      R"({"upstreams": [")" + now.address() + R"("]})");
        ASSERT_EQ(put.status / 100, 2) << put.body;
        auto response = switchboard->proxy("GET", "/svc");
        ASSERT_EQ(response.status, 200) << "round " << round << ": " << response.body;
        EXPECT_EQ(response.body, now.name()) << "round " << round << ": a worker served the "
                                             << "configuration from before the change";
    }
    // A new service, then 50 new connections: each one's first request is routed.
    ASSERT_EQ(switchboard->admin("POST", "/add_upstream/fresh/" + a.address()).status, 201);
    for (int i = 0; i < 50; ++i) {
        auto response = switchboard->proxy("GET", "/fresh");
        EXPECT_EQ(response.status, 200) << "connection " << i << ": " << response.body;
    }
    // And one removed: none of the 50 reaches it.
    ASSERT_EQ(switchboard->admin("POST", "/add_upstream/fresh/" + b.address()).status, 201);
    ASSERT_EQ(switchboard->admin("POST", "/remove_upstream/fresh/" + a.address()).status, 200);
    int before = servedRequests(a);
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/fresh").body, "b") << "connection " << i;
    EXPECT_EQ(servedRequests(a), before);
}

// (b) SPEC §9: health is shared; an upstream taken out by active checks is out on every worker.
TEST_F(Workers, UpstreamDownByActiveChecksGetsNoRequestFromAnyWorker) {
    std::atomic<bool> healthy{true};
    UpstreamServer a("a"), b("b", [&](const ReceivedRequest&request) {
        UpstreamReply reply;
        reply.body = "b";
        if (request.target == "/health" && !healthy)
            reply.status = 503;
        return reply;
    });
    start(service("svc", {a.address(), b.address()}) +
          "\n[services.svc.health_check]\npath = \"/health\"\ninterval_ms = 50\ntimeout_ms = "
          "500\nrise = 1\nfall = 2\n");
    for (int i = 0; i < 20; ++i)
        ASSERT_EQ(switchboard->proxy("GET", "/svc").status, 200);
    EXPECT_GT(servedRequests(b), 0) << "b served nothing while it was up";

    healthy = false;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (upstreamState("svc", b.address())["state"].str() != "down" && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(upstreamState("svc", b.address())["state"].str(), "down") << switchboard->log();

    int before = servedRequests(b);
    int served_by_a = 0;
    for (int i = 0; i < 200; ++i) {
        auto response = switchboard->proxy("GET", "/svc");
        served_by_a += response.status == 200 && response.body == "a";
    }
    EXPECT_EQ(servedRequests(b) - before, 0) << "a worker still sent requests to b";
    EXPECT_EQ(served_by_a, 200);
}

// (c) SPEC §9: least_conn compares in-flight counts over all workers.
TEST_F(Workers, LeastConnSeesTheRequestsInFlightOnOtherWorkers) {
    constexpr int kSlow = 20;
    Gate gate;
    UpstreamServer a("a", [&](const ReceivedRequest& request) {
        if (request.target.rfind("/svc/slow", 0) == 0)
            gate.wait();
        UpstreamReply reply;
        reply.body = "a";
        return reply;
    });
    UpstreamServer b("b");
    start(service("svc", {a.address()}, "strategy = \"least_conn\"\n"));

    // 20 slow requests on 20 new connections, spread over the workers, all held on a.
    std::vector<HttpResponse> slow(kSlow);
    std::vector<std::thread> clients;
    for (int i = 0; i < kSlow; ++i)
        clients.emplace_back(
            [&, i] { slow[i] = switchboard->proxy("GET", "/svc/slow/" + std::to_string(i)); });
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (a.requestCount() < kSlow && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(a.requestCount(), kSlow);
    EXPECT_EQ(upstreamState("svc", a.address())["in_flight"].num(), kSlow)
        << "in_flight is not the total over the workers";

    // b joins, idle: every new request, on whichever worker, goes to b. (No ASSERT until the
    // clients are joined: a test that returned here would leave their threads running.)
    EXPECT_EQ(
        switchboard
            ->admin("POST", "/services/svc/upstreams", R"({"address": ")" + b.address() + R"("})")
            .status,
        201);
    for (int i = 0; i < 2 * kWorkers; ++i) {
        auto response = switchboard->proxy("GET", "/svc/quick");
        EXPECT_EQ(response.body, "b") << "request " << i << " went to a, which holds " << kSlow
                                      << " requests in flight (on other workers)";
    }

    gate.open();
    for (auto& client : clients)
        client.join();
    for (int i = 0; i < kSlow; ++i) {
        EXPECT_EQ(slow[i].status, 200) << i << " " << slow[i].error;
        EXPECT_EQ(slow[i].body, "a") << i;
    }
    EXPECT_TRUE(
        eventually([&] { return upstreamState("svc", a.address())["in_flight"].num() == 0; }));
}

// (d) SPEC §9: max_connections counts the connections of all workers together.
TEST_F(Workers, MaxConnectionsHoldsOverAllWorkers) {
    constexpr int kMax = 100, kOpened = 150;
    UpstreamServer up("up");
    start(service("app", {up.address()}),
          "max_connections = " + std::to_string(kMax) + "\nclient_timeout_ms = 60000\n");
    // Each sends part of a head, then waits: held open, never finished.
    std::vector<std::unique_ptr<RawConnection>> clients;
    for (int i = 0; i < kOpened; ++i) {
        clients.push_back(std::make_unique<RawConnection>(proxy_port));
        ASSERT_TRUE(clients.back()->connected()) << "connection " << i;
        clients.back()->send("GET /app/held HTTP/1.1\r\nHost: a\r\n");
    }
    // Refused ones are closed at once; give every worker a moment to take its share.
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    std::vector<RawConnection*> open;
    int closed = 0;
    for (auto& client : clients) {
        if (client->read(1, /*until_close=*/true, 20).closed)
            ++closed;
        else
            open.push_back(client.get());
    }
    EXPECT_EQ(closed, kOpened - kMax) << "connections closed of " << kOpened;
    EXPECT_EQ(static_cast<int>(open.size()), kMax) << "connections held open";
    EXPECT_TRUE(switchboard->waitForLog("max_connections (" + std::to_string(kMax) + ") reached"))
        << switchboard->log();
    auto gauge =
        metricValue(switchboard->admin("GET", "/metrics").body, "switchboard_client_connections");
    ASSERT_TRUE(gauge);
    EXPECT_EQ(*gauge, kMax) << "the gauge is not the total over the workers";

    // The ones held open are served when they finish their heads.
    for (std::size_t i = 0; i < open.size(); i += 9) {
        open[i]->send("\r\n");
        Exchange exchange = open[i]->read(1, false);
        ASSERT_EQ(exchange.answers.size(), 1u) << "held connection " << i << ":\n" << exchange.raw;
        EXPECT_EQ(exchange.answers[0].status, 200);
    }
}

// (e) SPEC §9: SIGTERM drains every worker.
TEST_F(Workers, SigtermLetsRequestsInFlightOnEveryWorkerFinish) {
    constexpr int kInFlight = 16;
    UpstreamServer slow("slow", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.delay_ms = 1500;
        reply.body = "finished";
        return reply;
    });
    start(service("svc", {slow.address()}));
    std::vector<HttpResponse> responses(kInFlight);
    std::vector<std::thread> clients;
    for (int i = 0; i < kInFlight; ++i)
        clients.emplace_back([&, i] { responses[i] = switchboard->proxy("GET", "/svc"); });
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (slow.requestCount() < kInFlight && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(slow.requestCount(), kInFlight);  // no ASSERT: the clients must be joined
    int status = switchboard->stop(15000);
    for (auto& client : clients)
        client.join();
    for (int i = 0; i < kInFlight; ++i) {
        EXPECT_EQ(responses[i].status, 200) << i << " " << responses[i].error;
        EXPECT_EQ(responses[i].body, "finished") << i;
    }
    EXPECT_EQ(status, 0);
}

// (f) SPEC §9: counters are totals over all workers, in the admin API and in /metrics.
TEST_F(Workers, CountersAreTotalsOverWorkers) {
    constexpr int kRequests = 100;
    UpstreamServer up("up");
    start(service("svc", {up.address()}));
    for (int i = 0; i < kRequests; ++i)
        ASSERT_EQ(switchboard->proxy("GET", "/svc").status, 200) << i;
    EXPECT_EQ(upstreamState("svc", up.address())["requests"].num(), kRequests);
    EXPECT_TRUE(
        eventually([&] { return upstreamState("svc", up.address())["in_flight"].num() == 0; }));
    // A worker counts a response a moment after the client has it.
    std::string metrics;
    eventually([&] {
        metrics = switchboard->admin("GET", "/metrics").body;
        return metricValue(metrics,
                           "switchboard_request_duration_seconds_count{service=\"svc\"}") ==
               kRequests;
    });
    const std::string upstream = "{service=\"svc\",upstream=\"" + up.address() + "\"";
    EXPECT_EQ(metricValue(metrics, "switchboard_upstream_requests_total" + upstream + "}"),
              kRequests)
        << metrics;
    EXPECT_EQ(metricValue(metrics, "switchboard_requests_total{service=\"svc\",class=\"2xx\"}"),
              kRequests);
    EXPECT_EQ(metricValue(metrics, "switchboard_request_duration_seconds_count{service=\"svc\"}"),
              kRequests);
    EXPECT_EQ(
        metricValue(metrics, "switchboard_upstream_responses_total" + upstream + ",class=\"2xx\"}"),
        kRequests);
}

// (g) SPEC §9: changing `workers` takes a restart; a reload that changes it warns, keeps the
// running count, and says so in its answer.
TEST_F(Workers, ReloadThatChangesWorkersWarnsAndKeepsTheRunningCount) {
    UpstreamServer a("a"), b("b");
    start(service("svc", {a.address()}));
    int threads = threadCount(switchboard->pid());

    writeFile(path(), config(service("svc", {b.address()}), "", "2"));
    auto reload = switchboard->admin("POST", "/reload");
    ASSERT_EQ(reload.status, 200) << reload.body;
    JsonDoc body(reload.body);
    ASSERT_GE(body["warnings"].size(), 1) << "no \"warnings\" in " << reload.body;
    bool said = false;
    for (int i = 0; i < body["warnings"].size(); ++i) {
        std::string warning = body["warnings"][i].str();
        said = said || (warning.find("workers") != std::string::npos &&
                        warning.find("restart") != std::string::npos);
    }
    EXPECT_TRUE(said) << reload.body;
    // The rest of the file is taken in; the workers go on as they were.
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "b") << i;
    EXPECT_EQ(threadCount(switchboard->pid()), threads);

    // SIGHUP logs it (SPEC §9: "logs a warning").
    writeFile(path(), config(service("svc", {a.address()}), "", "\"auto\""));
    int warned = switchboard->logCount("restart");
    switchboard->signal(SIGHUP);
    ASSERT_TRUE(switchboard->waitForLog("SIGHUP: reloaded")) << switchboard->log();
    EXPECT_GT(switchboard->logCount("restart"), warned) << switchboard->log();
    EXPECT_NE(switchboard->log().find("workers"), std::string::npos);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "a") << i;
    EXPECT_EQ(threadCount(switchboard->pid()), threads);

    // Back to the running count: nothing to warn about.
    writeFile(path(), config(service("svc", {a.address()})));
    reload = switchboard->admin("POST", "/reload");
    ASSERT_EQ(reload.status, 200) << reload.body;
    EXPECT_LE(JsonDoc(reload.body)["warnings"].size(), 0) << reload.body;
}

// (h) workers = "auto" starts and serves.
TEST_F(Workers, AutoStartsAndServes) {
    UpstreamServer up("up");
    start(service("svc", {up.address()}), "", "\"auto\"");
    for (int i = 0; i < 20; ++i) {
        auto response = switchboard->proxy("GET", "/svc");
        EXPECT_EQ(response.status, 200) << i << " " << response.error;
        EXPECT_EQ(response.body, "up");
    }
    EXPECT_EQ(switchboard->stop(), 0);
}

// SPEC §9: anything but 1-256 or "auto" is a config error with file, line and column.
TEST(WorkersCheck, BadWorkerCountsAreErrorsWithLineAndColumn) {
    TempDir dir;
    struct Case {
        std::string value;
        std::string fragment;
    };
    for (const Case& bad :
         {Case{"0", "from 1 to 256"}, Case{"257", "from 1 to 256"}, Case{"\"many\"", "\"auto\""},
          Case{"2.5", "proxy.workers"}, Case{"-1", "from 1 to 256"}}) {
        std::string file = dir.file("workers.toml");
        writeFile(file, "[proxy]\nworkers = " + bad.value + "\n");
        auto result = runSwitchboard({"--check", "-c", file});
        EXPECT_EQ(result.status, 1) << bad.value;
        EXPECT_EQ(result.out, "") << bad.value;
        EXPECT_EQ(result.err.rfind(file + ":2:11: ", 0), 0u) << bad.value << ": " << result.err;
        EXPECT_NE(result.err.find(bad.fragment), std::string::npos)
            << bad.value << ": " << result.err;
        // And at start: exit 1, nothing bound.
        EXPECT_EQ(runSwitchboard({"-c", file}).status, 1) << bad.value;
    }
    for (const char* good : {"1", "4", "256", "\"auto\""}) {
        std::string file = dir.file("workers.toml");
        writeFile(file, std::string("[proxy]\nworkers = ") + good + "\n");
        auto result = runSwitchboard({"--check", "-c", file});
        EXPECT_EQ(result.status, 0) << good << ": " << result.err;
    }
}

// SPEC §9: every worker's access log lines go to one file, whole: 8 clients at once over new
// connections (so over every worker), long request lines, and a SIGUSR1 reopen half-way
// after the file was moved away (logrotate). Every request has exactly one line, in one of
// the two files, and every line is a whole one.
TEST_F(Workers, AccessLogLinesOfAllWorkersNeverMixWithinALine) {
    constexpr int kClients = 8, kEach = 40;
    UpstreamServer up("up");
    const std::string log = dir.file("access.log");
    std::string text = config(service("svc", {up.address()}));
    const std::string off = "access_log = \"\"";
    text.replace(text.find(off), off.size(), "access_log = \"" + log + "\"");
    writeFile(path(), text);
    switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
    ASSERT_TRUE(switchboard->started()) << switchboard->log();
    const std::string padding(300, 'x');
    std::atomic<int> served{0};
    auto client = [&](int id, int from, int to) {
        for (int i = from; i < to; ++i) {
            std::string target =
                "/svc/c" + std::to_string(id) + "r" + std::to_string(i) + "?p=" + padding;
            if (switchboard->proxy("GET", target).status == 200)
                ++served;
        }
    };
    auto round = [&](int from, int to) {
        std::vector<std::thread> clients;
        for (int id = 0; id < kClients; ++id)
            clients.emplace_back(client, id, from, to);
        for (auto& thread : clients)
            thread.join();
    };
    round(0, kEach / 2);
    std::rename(log.c_str(), (log + ".1").c_str());
    switchboard->signal(SIGUSR1);
    ASSERT_TRUE(switchboard->waitForLog("access log reopened"));
    round(kEach / 2, kEach);
    ASSERT_EQ(switchboard->stop(), 0);  // flushes every worker's lines
    ASSERT_EQ(served.load(), kClients * kEach);

    std::set<std::string> seen;
    int lines_in_new_file = 0;
    for (const std::string& file : {log + ".1", log}) {
        std::istringstream text(readFile(file));
        for (std::string line; std::getline(text, line);) {
            // time client "GET target HTTP/1.1" 200 bytes seconds svc upstream 200 received
            // upstream-seconds request-id
            auto target_at = line.find("\"GET /svc/c");
            ASSERT_NE(target_at, std::string::npos) << file << ": " << line;
            auto target_end = line.find(' ', target_at + 5);
            std::string target = line.substr(target_at + 5, target_end - target_at - 5);
            EXPECT_EQ(line.compare(target_end, 11, " HTTP/1.1\" "), 0) << line;
            EXPECT_NE(line.find("\" 200 "), std::string::npos) << line;
            EXPECT_NE(line.find(" svc " + up.address() + " 200 "), std::string::npos) << line;
            EXPECT_EQ(line.substr(line.size() - 2), " -") << line;
            EXPECT_TRUE(seen.insert(target).second) << "logged twice: " << target;
            lines_in_new_file += file == log;
        }
    }
    EXPECT_EQ(static_cast<int>(seen.size()), kClients * kEach);
    EXPECT_GT(lines_in_new_file, 0) << "nothing went to the reopened file";
}
