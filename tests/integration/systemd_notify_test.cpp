// SPDX-License-Identifier: Apache-2.0
// Plays systemd's side of the readiness protocol (SPEC §7, Type=notify): a unix datagram
// socket at NOTIFY_SOCKET, and the real binary telling it READY=1, RELOADING=1 ... READY=1
// and STOPPING=1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>

#include "harness/notify_socket.h"
#include "harness/switchboard_process.h"

using namespace harness;

namespace {

std::uint64_t monotonicUsec() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

std::string oneService(int proxy_port, int admin_port) {
    return configHead(proxy_port, admin_port) +
           "\n[services.apiA]\nupstreams = [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n";
}

std::string twoServices(int proxy_port, int admin_port) {
    return oneService(proxy_port, admin_port) +
           "\n[services.apiB]\nupstreams = [\"127.0.0.1:3\"]\n";
}

class SystemdNotifyTest : public ::testing::Test {
  protected:
    TempDir dir;
    std::string config = dir.file("switchboard.toml");
    NotifySocket socket{dir.file("notify")};
    int proxy_port = freePort();
    int admin_port = freePort();

    // Expects RELOADING=1 with a MONOTONIC_USEC taken during the reload, then READY=1;
    // returns the STATUS= of the READY message.
    std::string expectReloadBracket(const std::function<void()>& trigger, pid_t pid) {
        std::uint64_t before = monotonicUsec();
        trigger();
        auto reloading = socket.receive();
        std::uint64_t after = monotonicUsec();
        if (!reloading) {
            ADD_FAILURE() << "no RELOADING=1 message";
            return "";
        }
        EXPECT_EQ(reloading->get("RELOADING"), "1") << reloading->text;
        EXPECT_EQ(reloading->sender_pid, pid);
        std::uint64_t stamp = std::strtoull(reloading->get("MONOTONIC_USEC").c_str(), nullptr, 10);
        EXPECT_GE(stamp, before) << reloading->text;
        EXPECT_LE(stamp, after) << reloading->text;
        EXPECT_FALSE(reloading->has("READY")) << reloading->text;
        auto ready = socket.receive();
        if (!ready) {
            ADD_FAILURE() << "no READY=1 after the reload";
            return "";
        }
        EXPECT_EQ(ready->get("READY"), "1") << ready->text;
        EXPECT_EQ(ready->sender_pid, pid);
        return ready->get("STATUS");
    }
};

TEST_F(SystemdNotifyTest, ReadyOnceBothListenersAreBound) {
    ASSERT_TRUE(socket.ok());
    writeFile(config, oneService(proxy_port, admin_port));
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    SwitchboardProcess switchboard(config, proxy_port, admin_port);
    ASSERT_TRUE(switchboard.started()) << switchboard.log();

    // The very first message is READY=1, sent by the main process, with the counts.
    auto ready = socket.receive();
    ASSERT_TRUE(ready) << switchboard.log();
    EXPECT_EQ(ready->get("READY"), "1") << ready->text;
    EXPECT_EQ(ready->get("STATUS"), "1 service, 2 upstreams") << ready->text;
    EXPECT_EQ(ready->sender_pid, switchboard.pid());
    // Both listeners answer.
    EXPECT_EQ(switchboard.admin("GET", "/healthz").status, 200);
    EXPECT_EQ(switchboard.proxy("GET", "/nowhere").status, 404);
    // Nothing else is said while idle.
    EXPECT_FALSE(socket.receive(200));

    EXPECT_EQ(switchboard.stop(), 0) << switchboard.log();
}

TEST_F(SystemdNotifyTest, EveryReloadIsBracketedAndShutdownIsAnnounced) {
    ASSERT_TRUE(socket.ok());
    writeFile(config, oneService(proxy_port, admin_port));
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    SwitchboardProcess switchboard(config, proxy_port, admin_port);
    ASSERT_TRUE(switchboard.started()) << switchboard.log();
    auto ready = socket.receive();
    ASSERT_TRUE(ready && ready->has("READY")) << switchboard.log();
    pid_t pid = switchboard.pid();

    // A good edit and SIGHUP: RELOADING=1 + MONOTONIC_USEC, then READY=1 with the new counts.
    writeFile(config, twoServices(proxy_port, admin_port));
    EXPECT_EQ(expectReloadBracket([&] { switchboard.signal(SIGHUP); }, pid),
              "2 services, 3 upstreams");

    // A broken file: the reload is refused, yet systemd still hears READY=1 (else it would
    // wait for the reload until its timeout), and the status names the refusal.
    writeFile(config, twoServices(proxy_port, admin_port) + "\n[services.apiC\n");
    std::string status = expectReloadBracket([&] { switchboard.signal(SIGHUP); }, pid);
    EXPECT_EQ(status.rfind("2 services, 3 upstreams; last reload refused: ", 0), 0u) << status;
    EXPECT_NE(status.find(config), std::string::npos) << status;
    EXPECT_TRUE(switchboard.running());

    // POST /reload is the same reload as SIGHUP, and so is its notification.
    status = expectReloadBracket(
        [&] { EXPECT_EQ(switchboard.admin("POST", "/reload").status, 400); }, pid);
    EXPECT_NE(status.find("last reload refused"), std::string::npos) << status;

    // A successful reload clears the error from the status.
    writeFile(config, oneService(proxy_port, admin_port));
    status = expectReloadBracket(
        [&] { EXPECT_EQ(switchboard.admin("POST", "/reload").status, 200); }, pid);
    EXPECT_EQ(status, "1 service, 2 upstreams");

    // SIGTERM: STOPPING=1, then a clean exit.
    switchboard.signal(SIGTERM);
    auto stopping = socket.receive();
    ASSERT_TRUE(stopping) << switchboard.log();
    EXPECT_EQ(stopping->get("STOPPING"), "1") << stopping->text;
    EXPECT_EQ(stopping->sender_pid, pid);
    EXPECT_EQ(switchboard.stop(), 0) << switchboard.log();
}

TEST_F(SystemdNotifyTest, ReloadRefusedForAnUnbindableListenerStillEndsWithReady) {
    ASSERT_TRUE(socket.ok());
    // Hold a port so that the reload's new proxy listener cannot be bound.
    int held = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(held, 1), 0);
    socklen_t length = sizeof address;
    getsockname(held, reinterpret_cast<sockaddr*>(&address), &length);
    int busy_port = ntohs(address.sin_port);

    writeFile(config, oneService(proxy_port, admin_port));
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    SwitchboardProcess switchboard(config, proxy_port, admin_port);
    ASSERT_TRUE(switchboard.started()) << switchboard.log();
    ASSERT_TRUE(socket.receive());

    writeFile(config, oneService(busy_port, admin_port));
    std::string status =
        expectReloadBracket([&] { switchboard.signal(SIGHUP); }, switchboard.pid());
    EXPECT_EQ(status.rfind("1 service, 2 upstreams; last reload refused: ", 0), 0u) << status;
    EXPECT_TRUE(switchboard.running());
    ::close(held);
    EXPECT_EQ(switchboard.stop(), 0) << switchboard.log();
}

TEST_F(SystemdNotifyTest, AnUnreachableNotifySocketChangesNothing) {
    writeFile(config, oneService(proxy_port, admin_port));
    ScopedEnv notify("NOTIFY_SOCKET", dir.file("nobody-listens-here"));
    SwitchboardProcess switchboard(config, proxy_port, admin_port);
    ASSERT_TRUE(switchboard.started()) << switchboard.log();
    writeFile(config, twoServices(proxy_port, admin_port));
    EXPECT_EQ(switchboard.admin("POST", "/reload").status, 200);
    // apiB is routed now: its dead upstream gives 502, not "no route".
    EXPECT_EQ(switchboard.proxy("GET", "/apiB").status, 502);
    EXPECT_EQ(switchboard.stop(), 0) << switchboard.log();
}

}  // namespace
