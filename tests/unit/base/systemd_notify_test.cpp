// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/systemd_notify.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace switchboard;

TEST(SystemdNotify, MessagesFollowSdNotifyFormat) {
    EXPECT_EQ(systemd::readyMessage("1 service, 2 upstreams"),
              "READY=1\nSTATUS=1 service, 2 upstreams");
    EXPECT_EQ(systemd::reloadingMessage(123456789), "RELOADING=1\nMONOTONIC_USEC=123456789");
    // A newline would end the STATUS= assignment and start a bogus one.
    EXPECT_EQ(systemd::statusMessage("a\nREADY=1\r\nb"), "STATUS=a READY=1  b");
}

TEST(SystemdNotify, StatusTextCountsAndNamesTheLastRefusal) {
    EXPECT_EQ(systemd::statusText(0, 0), "0 services, 0 upstreams");
    EXPECT_EQ(systemd::statusText(1, 1), "1 service, 1 upstream");
    EXPECT_EQ(systemd::statusText(2, 5, "f.toml:3:1: unknown key 'x'"),
              "2 services, 5 upstreams; last reload refused: f.toml:3:1: unknown key 'x'");
}

TEST(SystemdNotify, MonotonicClockAdvances) {
    auto first = systemd::monotonicMicroseconds();
    auto second = systemd::monotonicMicroseconds();
    EXPECT_GT(first, 0u);
    EXPECT_GE(second, first);
}

TEST(SystemdNotify, WithoutNotifySocketEveryCallIsANoOp) {
    ::unsetenv("NOTIFY_SOCKET");
    systemd::ready("x");
    systemd::reloading();
    systemd::status("x");
    systemd::stopping();
    SUCCEED();
}
