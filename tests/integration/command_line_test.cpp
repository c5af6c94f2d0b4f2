// SPDX-License-Identifier: Apache-2.0
// SPEC §1: options, --check and the exit statuses, on the real binary.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "harness/switchboard_process.h"

using namespace harness;

namespace {
const std::string kData = SWITCHBOARD_TEST_DATA;
}

TEST(CommandLine, CheckAcceptsAGoodFile) {
    auto result = runSwitchboard({"--check", "-c", kData + "/good/full.toml"});
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, "switchboard: " + kData + "/good/full.toml: ok\n");
    EXPECT_EQ(
        runSwitchboard({"-t", "-c", std::string(SWITCHBOARD_SOURCE_DIR) + "/etc/switchboard.toml"})
            .status,
        0);
}

TEST(CommandLine, CheckReportsFileLineColumnForABadFile) {
    std::string file = kData + "/bad/bad_upstream_port.toml";
    auto result = runSwitchboard({"-t", "-c", file});
    EXPECT_EQ(result.status, 1);
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err.rfind(file + ":3:14: ", 0), 0u) << result.err;
}

TEST(CommandLine, CheckReportsEveryError) {
    TempDir dir;
    writeFile(dir.file("many.toml"), "[proxy]\nretires = 1\n[services.a]\nroute = \"x\"\n");
    auto result = runSwitchboard({"--check", "--config", dir.file("many.toml")});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find(dir.file("many.toml") + ":2:1: unknown key 'proxy.retires'"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find(dir.file("many.toml") + ":4:9: "), std::string::npos) << result.err;
}

TEST(CommandLine, CheckOnAMissingFileIsAnError) {
    auto result = runSwitchboard({"-t", "-c", "/nonexistent/switchboard.toml"});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find("/nonexistent/switchboard.toml"), std::string::npos);
}

TEST(CommandLine, HelpAndVersion) {
    auto help = runSwitchboard({"--help"});
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("Usage: switchboard"), std::string::npos);
    EXPECT_NE(help.out.find("--check"), std::string::npos);
    auto version = runSwitchboard({"-V"});
    EXPECT_EQ(version.status, 0);
    EXPECT_EQ(version.out.rfind("switchboard ", 0), 0u);
}

TEST(CommandLine, UsageErrorsExitWith2) {
    EXPECT_EQ(runSwitchboard({"--bogus"}).status, 2);
    EXPECT_EQ(runSwitchboard({"--log-level", "loud"}).status, 2);
    EXPECT_EQ(runSwitchboard({"-c"}).status, 2);
    auto result = runSwitchboard({"--log-level"});
    EXPECT_EQ(result.status, 2);
    EXPECT_NE(result.err.find("--help"), std::string::npos);
}

TEST(CommandLine, InvalidConfigAtStartExitsWith1) {
    auto result = runSwitchboard({"-c", kData + "/bad/unknown_proxy_key.toml"});
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find(":3:1: unknown key 'proxy.retires'"), std::string::npos)
        << result.err;
}

TEST(CommandLine, ListenerThatCannotBeBoundExitsWith3) {
    TempDir dir;
    int admin_port = freePort();
    // Both listeners on one port: the second bind fails.
    writeFile(dir.file("clash.toml"), configHead(admin_port, admin_port));
    auto result = runSwitchboard({"-c", dir.file("clash.toml")});
    EXPECT_EQ(result.status, 3);
    EXPECT_NE(result.err.find("cannot bind"), std::string::npos) << result.err;
}

TEST(CommandLine, MissingFileStartsFromDefaultsAndIsCreatedByTheFirstChange) {
    TempDir dir;
    // A missing file means the built-in ports, 6188 and 8080: this is the one test that
    // uses them.
    SwitchboardProcess process(dir.file("absent.toml"), 6188, 8080);
    EXPECT_TRUE(process.waitForLog("does not exist: starting from the built-in defaults"))
        << process.log();
    if (!process.started())
        GTEST_SKIP() << "ports 6188/8080 are taken on this machine: " << process.log();
    EXPECT_EQ(process.admin("POST", "/add_upstream/apiA/127.0.0.1:3001").status, 201);
    std::string created = readFile(dir.file("absent.toml"));
    EXPECT_NE(created.find("[services.apiA]"), std::string::npos) << created;
    EXPECT_NE(created.find("127.0.0.1:3001"), std::string::npos) << created;
}

TEST(CommandLine, SigtermStopsCleanlyWithStatus0) {
    TempDir dir;
    int proxy_port = freePort(), admin_port = freePort();
    writeFile(dir.file("s.toml"), configHead(proxy_port, admin_port));
    SwitchboardProcess process(dir.file("s.toml"), proxy_port, admin_port);
    ASSERT_TRUE(process.started()) << process.log();
    EXPECT_EQ(process.stop(), 0);
}

TEST(CommandLine, SigintStopsCleanlyWithStatus0) {
    TempDir dir;
    int proxy_port = freePort(), admin_port = freePort();
    writeFile(dir.file("s.toml"), configHead(proxy_port, admin_port));
    SwitchboardProcess process(dir.file("s.toml"), proxy_port, admin_port);
    ASSERT_TRUE(process.started()) << process.log();
    process.signal(SIGINT);
    EXPECT_TRUE(process.waitForLog("stopped"));
}

TEST(CommandLine, SighupDuringStartUpNeverKillsTheProcess) {
    TempDir dir;
    int proxy_port = freePort(), admin_port = freePort();
    std::string text = configHead(proxy_port, admin_port);
    for (int i = 0; i < 300; ++i)  // a bigger file: more time to hit the start-up window
        text += "\n[services.s" + std::to_string(i) +
                "]\nupstreams = [\"127.0.0.1:" + std::to_string(1000 + i) + "\"]\n";
    writeFile(dir.file("s.toml"), text);
    // Made before fork(): the child only makes async-signal-safe calls.
    const std::string binary = SWITCHBOARD_BINARY, config = dir.file("s.toml");
    for (int round = 0; round < 5; ++round) {
        // The moments before main() are fork's and exec's, not switchboard's: SIGHUP is held
        // (blocked, a mask the child inherits) until switchboard's main() takes charge.
        sigset_t hold, previous;
        sigemptyset(&hold);
        sigaddset(&hold, SIGHUP);
        sigprocmask(SIG_BLOCK, &hold, &previous);
        pid_t pid = fork();
        if (pid == 0) {
            int null_fd = ::open("/dev/null", O_WRONLY);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            execl(binary.c_str(), binary.c_str(), "-c", config.c_str(), nullptr);
            _exit(127);
        }
        sigprocmask(SIG_SETMASK, &previous, nullptr);
        for (int i = 0; i < 200; ++i) {
            ::kill(pid, SIGHUP);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ::kill(pid, SIGHUP);  // and one when it runs: a reload, not a death
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        int status = 0;
        EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0)
            << "round " << round << ": died of signal "
            << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        ::kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status)) << "round " << round;
    }
}
