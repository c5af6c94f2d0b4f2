// SPDX-License-Identifier: Apache-2.0
#include "harness/etcd_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "harness/http_client.h"
#include "harness/json_doc.h"

namespace harness {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStartTimeoutMs = 20000;
constexpr int kStopTimeoutMs = 5000;
constexpr std::size_t kLogTail = 4096;

// The members of one test's cluster find each other by this token; another test's etcd that
// took one of the ports a moment later could not join by mistake.
std::string uniqueToken() {
    static std::mt19937_64 random(std::random_device{}());
    return "switchboard-test-" + std::to_string(getpid()) + "-" + std::to_string(random());
}

std::string loopbackUrl(int port) {
    return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace

EtcdProcess::EtcdProcess(int members) : cluster_token_(uniqueToken()) {
    for (int i = 0; i < members; ++i) {
        Member member;
        member.name = "member" + std::to_string(i);
        member.client_port = freePort();
        member.peer_port = freePort();
        member.data_dir = dir_.file(member.name + ".etcd");
        member.log_path = dir_.file(member.name + ".log");
        initial_cluster_ += (i ? "," : "") + member.name + "=" + loopbackUrl(member.peer_port);
        members_.push_back(std::move(member));
    }
    // All before any wait: a member of several has no leader, so no health, without a quorum.
    for (Member& member : members_)
        launch(member);
    const auto deadline = Clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
    started_ = true;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (!waitUntilHealthy(static_cast<int>(i), static_cast<int>(left.count()))) {
            started_ = false;
            ADD_FAILURE() << "etcd " << members_[i].name << " did not answer within "
                          << kStartTimeoutMs / 1000 << " s\n"
                          << logs();
            break;
        }
    }
}

EtcdProcess::~EtcdProcess() {
    // The end of each member's log tells most about a failure: elections, refused requests.
    if (::testing::Test::HasFailure()) {
        for (const Member& member : members_) {
            std::string log = readFile(member.log_path);
            std::cerr << "--- the end of etcd " << member.name << "'s log ---\n"
                      << log.substr(log.size() > kLogTail ? log.size() - kLogTail : 0) << "\n";
        }
    }
    for (Member& member : members_) {
        if (member.pid > 0) {
            ::kill(member.pid, SIGKILL);
            waitpid(member.pid, nullptr, 0);
            member.pid = -1;
        }
    }
}

void EtcdProcess::launch(Member& member) {
    const std::string client = loopbackUrl(member.client_port);
    const std::string peer = loopbackUrl(member.peer_port);
    // A data dir that exists already holds the member's identity and the cluster: etcd then
    // ignores the --initial-* flags, so the same command line restarts it.
    const PreparedExec program({"etcd",
                                "--name",
                                member.name,
                                "--data-dir",
                                member.data_dir,
                                "--listen-client-urls",
                                client,
                                "--advertise-client-urls",
                                client,
                                "--listen-peer-urls",
                                peer,
                                "--initial-advertise-peer-urls",
                                peer,
                                "--initial-cluster",
                                initial_cluster_,
                                "--initial-cluster-state",
                                "new",
                                "--initial-cluster-token",
                                cluster_token_,
                                "--logger",
                                "zap",
                                "--log-outputs",
                                "stderr"},
                               member.log_path, member.log_path);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        // Killed when the thread that started it ends, the test process crashing included.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)  // it ended before prctl
            _exit(1);
        program.exec();
    }
    if (pid < 0)
        ADD_FAILURE() << "fork for etcd " << member.name << " failed";
    member.pid = pid;
}

bool EtcdProcess::waitUntilHealthy(int index, int timeout_ms) const {
    const Member& member = members_.at(static_cast<std::size_t>(index));
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    do {
        if (!running(index))
            return false;
        HttpResponse health = httpRequest(member.client_port, "GET", "/health");
        if (health.status == 200 && JsonDoc(health.body)["health"].str() == "true")
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    return false;
}

std::vector<std::string> EtcdProcess::endpoints() const {
    std::vector<std::string> urls;
    for (const Member& member : members_)
        urls.push_back(loopbackUrl(member.client_port));
    return urls;
}

std::string EtcdProcess::endpoint(int member) const {
    return loopbackUrl(members_.at(static_cast<std::size_t>(member)).client_port);
}

int EtcdProcess::clientPort(int member) const {
    return members_.at(static_cast<std::size_t>(member)).client_port;
}

void EtcdProcess::stop(int index, int signal) {
    Member& member = members_.at(static_cast<std::size_t>(index));
    if (!running(index))
        return;
    ::kill(member.pid, signal);
    const auto deadline = Clock::now() + std::chrono::milliseconds(kStopTimeoutMs);
    while (running(index)) {
        if (Clock::now() >= deadline) {
            ::kill(member.pid, SIGKILL);
            waitpid(member.pid, nullptr, 0);
            member.pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void EtcdProcess::start(int index) {
    Member& member = members_.at(static_cast<std::size_t>(index));
    if (running(index))
        return;
    launch(member);
    if (!waitUntilHealthy(index, kStartTimeoutMs))
        ADD_FAILURE() << "etcd " << member.name << " did not answer again within "
                      << kStartTimeoutMs / 1000 << " s\n"
                      << logs();
}

bool EtcdProcess::running(int index) const {
    const Member& member = members_.at(static_cast<std::size_t>(index));
    if (member.pid <= 0)
        return false;
    if (waitpid(member.pid, nullptr, WNOHANG) == member.pid) {
        member.pid = -1;
        return false;
    }
    return true;
}

std::string EtcdProcess::statusJson(const Member& member) const {
    HttpResponse status = httpRequest(member.client_port, "POST", "/v3/maintenance/status", "{}");
    return status.status == 200 ? status.body : "";
}

int EtcdProcess::leader() const {
    // The gateway writes member ids as strings: exact, unlike etcdctl's JSON numbers (doubles
    // once parsed). A member that names itself leader is one.
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!running(static_cast<int>(i)))
            continue;
        JsonDoc status(statusJson(members_[i]));
        std::string self = status["header"]["member_id"].str();
        if (status.valid() && self == status["leader"].str())
            return static_cast<int>(i);
    }
    return -1;
}

EtcdProcess::Ctl EtcdProcess::etcdctl(const std::vector<std::string>& args) const {
    std::string urls;
    for (const std::string& url : endpoints())
        urls += (urls.empty() ? "" : ",") + url;
    std::vector<std::string> argv = {
        "timeout", "-s", "KILL", "10", "env", "ETCDCTL_API=3", "etcdctl", "--endpoints=" + urls};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(std::move(argv));
}

std::string EtcdProcess::get(const std::string& key) const {
    Ctl ctl = etcdctl({"get", "--print-value-only", "--", key});
    EXPECT_EQ(ctl.status, 0) << "etcdctl get " << key << ": " << ctl.err;
    // etcdctl ends the value with a newline of its own.
    if (!ctl.out.empty() && ctl.out.back() == '\n')
        ctl.out.pop_back();
    return ctl.out;
}

void EtcdProcess::put(const std::string& key, const std::string& value) const {
    Ctl ctl = etcdctl({"put", "--", key, value});
    EXPECT_EQ(ctl.status, 0) << "etcdctl put " << key << ": " << ctl.err;
}

std::int64_t EtcdProcess::revision() const {
    // Any key will do: every answer's header carries the store's revision.
    Ctl ctl = etcdctl({"get", "--write-out=json", "--", "/"});
    EXPECT_EQ(ctl.status, 0) << "etcdctl get: " << ctl.err;
    double revision = JsonDoc(ctl.out)["header"]["revision"].num();
    return revision >= 0 ? static_cast<std::int64_t>(revision) : -1;
}

std::string EtcdProcess::logs() const {
    std::string text;
    for (const Member& member : members_)
        text += "--- etcd " + member.name + " (" + member.log_path + ") ---\n" +
                readFile(member.log_path);
    return text;
}

}  // namespace harness
