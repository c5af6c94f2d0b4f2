// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/access_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/time.h>

#include "switchboard/base/c_callback.h"

namespace switchboard {

namespace {
constexpr std::size_t kFlushBytes = 32 * 1024;
}

AccessLogFile::~AccessLogFile() {
    std::lock_guard lock(mutex_);
    closeLocked();
}

void AccessLogFile::closeLocked() {
    if (file_ && owns_file_)
        std::fclose(file_);
    file_ = nullptr;
    owns_file_ = false;
    enabled_.store(false, std::memory_order_relaxed);
}

std::string AccessLogFile::open(const std::string& target) {
    std::FILE* file = nullptr;
    if (!target.empty() && target != "-") {
        file = std::fopen(target.c_str(), "a");
        if (!file)
            return "cannot open access log " + target + ": " + std::strerror(errno);
    }
    std::lock_guard lock(mutex_);
    closeLocked();
    target_ = target;
    file_ = target.empty() ? nullptr : file ? file : stdout;
    owns_file_ = file != nullptr;
    enabled_.store(file_ != nullptr, std::memory_order_relaxed);
    return "";
}

std::string AccessLogFile::reopen() {
    std::string target;
    {
        std::lock_guard lock(mutex_);
        target = target_;
    }
    return open(target);
}

void AccessLogFile::write(std::string_view lines) {
    std::lock_guard lock(mutex_);
    if (!file_)
        return;
    std::fwrite(lines.data(), 1, lines.size(), file_);
    std::fflush(file_);
}

AccessLog::AccessLog(event_base* base, AccessLogFile& file)
    : file_(file), flush_timer_(event_new(base, -1, EV_PERSIST,
                                          CCallback<&AccessLog::flushTimerFired>::call, this)) {
    timeval second{1, 0};
    event_add(flush_timer_.get(), &second);
}

AccessLog::~AccessLog() {
    flush();
}

void AccessLog::flush() {
    if (buffer_.empty())
        return;
    file_.write(buffer_);
    buffer_.clear();
}

void AccessLog::write(const Entry& entry) {
    if (!file_.enabled())
        return;
    timeval now{};
    gettimeofday(&now, nullptr);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char line[512];
    int length = std::snprintf(
        line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %.*s \"%.*s ", utc.tm_year + 1900,
        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
        static_cast<int>(now.tv_usec / 1000), static_cast<int>(entry.client.size()),
        entry.client.data(), static_cast<int>(entry.method.size()), entry.method.data());
    buffer_.append(line, static_cast<std::size_t>(length));
    buffer_.append(entry.target);  // parsed as visible ASCII only: no quoting needed
    length = std::snprintf(line, sizeof line, " HTTP/1.%d\" %d %llu %.4f %.*s %.*s\n",
                           entry.minor_version, entry.status,
                           static_cast<unsigned long long>(entry.bytes_sent), entry.seconds,
                           static_cast<int>(entry.service.size()), entry.service.data(),
                           static_cast<int>(entry.upstream.size()), entry.upstream.data());
    buffer_.append(line, static_cast<std::size_t>(length));
    if (buffer_.size() >= kFlushBytes)
        flush();
}

}  // namespace switchboard
