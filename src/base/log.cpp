// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/log.h"

#include <unistd.h>

#include <cstdio>

namespace switchboard {

namespace {
LogLevel g_level = LogLevel::Info;
constexpr const char* kLevelNames[] = {"error", "warn", "info", "debug"};
}  // namespace

std::optional<LogLevel> parseLogLevel(std::string_view text) {
    for (int i = 0; i < 4; ++i)
        if (text == kLevelNames[i])
            return static_cast<LogLevel>(i);
    return std::nullopt;
}

void setLogLevel(LogLevel level) {
    g_level = level;
}

bool logEnabled(LogLevel level) {
    return level <= g_level;
}

void logMessage(LogLevel level, std::string_view message) {
    if (!logEnabled(level))
        return;
    std::fprintf(stderr, "switchboard[%d]: %s: %.*s\n", static_cast<int>(getpid()),
                 kLevelNames[static_cast<int>(level)], static_cast<int>(message.size()),
                 message.data());
    std::fflush(stderr);
}

}  // namespace switchboard
