// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

std::optional<LogLevel> parseLogLevel(std::string_view text);
void setLogLevel(LogLevel level);
bool logEnabled(LogLevel level);

// One line to stderr: "switchboard[pid]: level: message". stderr goes to the journal under
// systemd, which adds its own timestamps.
void logMessage(LogLevel level, std::string_view message);

inline void logError(std::string_view message) {
    logMessage(LogLevel::Error, message);
}
inline void logWarn(std::string_view message) {
    logMessage(LogLevel::Warn, message);
}
inline void logInfo(std::string_view message) {
    logMessage(LogLevel::Info, message);
}
inline void logDebug(std::string_view message) {
    logMessage(LogLevel::Debug, message);
}

}  // namespace switchboard
