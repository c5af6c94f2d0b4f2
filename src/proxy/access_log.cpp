// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/access_log.h"

#include <cerrno>
#include <charconv>
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

AccessLog::Format AccessLog::formatNamed(std::string_view name) {
    if (name == "combined")
        return Format::Combined;
    if (name == "json")
        return Format::Json;
    return Format::Default;
}

namespace {

void appendNumber(std::string& out, std::uint64_t value) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

void appendSeconds(std::string& out, double seconds) {
    char text[32];
    int length = std::snprintf(text, sizeof text, "%.4f", seconds);
    out.append(text, static_cast<std::size_t>(length));
}

// Seconds, or "-" for none (negative).
void appendSecondsOrDash(std::string& out, double seconds) {
    if (seconds < 0)
        out.push_back('-');
    else
        appendSeconds(out, seconds);
}

// A client-supplied value inside quotes: `"`, `\`, controls and bytes past ASCII as \xHH,
// as nginx writes them, so that a field can never end early or forge a line.
void appendEscaped(std::string& out, std::string_view text) {
    static const char kHex[] = "0123456789abcdef";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e || c == '"' || c == '\\') {
            out.append("\\x");
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 15]);
        } else {
            out.push_back(c);
        }
    }
}

// A JSON string: RFC 8259 escapes; bytes past ASCII as \u00XX (header values are bytes,
// not promised to be UTF-8, and a log line must stay valid JSON).
void appendJsonString(std::string& out, std::string_view text) {
    static const char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (byte < 0x20 || byte > 0x7e) {
            out.append("\\u00");
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

void appendOrDash(std::string& out, std::string_view text) {
    out.append(text.empty() ? std::string_view("-") : text);
}

// "127.0.0.1:3001<sep>127.0.0.1:3002", or "-".
void appendUpstreams(std::string& out, const std::vector<AccessLog::UpstreamTry>& tries,
                     std::string_view separator) {
    if (tries.empty())
        out.push_back('-');
    for (std::size_t i = 0; i < tries.size(); ++i) {
        if (i)
            out.append(separator);
        out.append(tries[i].upstream);
    }
}

// "502<sep>200", "-" for a try that got no answer, or "-".
void appendStatuses(std::string& out, const std::vector<AccessLog::UpstreamTry>& tries,
                    std::string_view separator) {
    if (tries.empty())
        out.push_back('-');
    for (std::size_t i = 0; i < tries.size(); ++i) {
        if (i)
            out.append(separator);
        if (tries[i].status)
            appendNumber(out, static_cast<std::uint64_t>(tries[i].status));
        else
            out.push_back('-');
    }
}

void appendRequestLine(std::string& out, const AccessLog::Entry& entry) {
    out.append(entry.method);
    out.push_back(' ');
    out.append(entry.target);  // parsed as visible ASCII only: no quoting needed
    out.append(entry.minor_version == 0 ? " HTTP/1.0" : " HTTP/1.1");
}

struct Clock {
    tm utc;
    int milliseconds;
};

Clock utcNow() {
    timeval now{};
    gettimeofday(&now, nullptr);
    Clock clock{};
    gmtime_r(&now.tv_sec, &clock.utc);
    clock.milliseconds = static_cast<int>(now.tv_usec / 1000);
    return clock;
}

void appendIsoTime(std::string& out, const Clock& clock) {
    char text[40];
    int length =
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      clock.utc.tm_year + 1900, clock.utc.tm_mon + 1, clock.utc.tm_mday,
                      clock.utc.tm_hour, clock.utc.tm_min, clock.utc.tm_sec, clock.milliseconds);
    out.append(text, static_cast<std::size_t>(length));
}

void writeDefault(std::string& out, const AccessLog::Entry& entry) {
    appendIsoTime(out, utcNow());
    out.push_back(' ');
    out.append(entry.client);
    out.append(" \"");
    appendRequestLine(out, entry);
    out.append("\" ");
    appendNumber(out, static_cast<std::uint64_t>(entry.status));
    out.push_back(' ');
    appendNumber(out, entry.bytes_sent);
    out.push_back(' ');
    appendSeconds(out, entry.seconds);
    out.push_back(' ');
    out.append(entry.service);
    out.push_back(' ');
    appendUpstreams(out, entry.tries, ",");
    out.push_back(' ');
    appendStatuses(out, entry.tries, ",");
    out.push_back(' ');
    appendNumber(out, entry.bytes_received);
    out.push_back(' ');
    appendSecondsOrDash(out, entry.upstream_seconds);
    out.push_back(' ');
    appendOrDash(out, entry.request_id);
    out.push_back('\n');
}

void writeCombined(std::string& out, const AccessLog::Entry& entry) {
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    Clock clock = utcNow();
    char time[48];
    int length =
        std::snprintf(time, sizeof time, " - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"",
                      clock.utc.tm_mday, kMonths[clock.utc.tm_mon], clock.utc.tm_year + 1900,
                      clock.utc.tm_hour, clock.utc.tm_min, clock.utc.tm_sec);
    out.append(entry.client);
    out.append(time, static_cast<std::size_t>(length));
    appendRequestLine(out, entry);
    out.append("\" ");
    appendNumber(out, static_cast<std::uint64_t>(entry.status));
    out.push_back(' ');
    appendNumber(out, entry.bytes_sent);
    out.append(" \"");
    entry.referer.empty() ? out.push_back('-') : appendEscaped(out, entry.referer);
    out.append("\" \"");
    entry.user_agent.empty() ? out.push_back('-') : appendEscaped(out, entry.user_agent);
    out.append("\" \"");
    appendUpstreams(out, entry.tries, ", ");
    out.append("\" \"");
    appendStatuses(out, entry.tries, ", ");
    out.append("\" ");
    appendSeconds(out, entry.seconds);
    out.push_back(' ');
    appendSecondsOrDash(out, entry.upstream_seconds);
    out.push_back(' ');
    appendOrDash(out, entry.request_id);
    out.push_back(' ');
    out.append(entry.service);
    out.push_back('\n');
}

void writeJson(std::string& out, const AccessLog::Entry& entry) {
    const std::size_t query = entry.target.find('?');
    out.append("{\"time\":\"");
    appendIsoTime(out, utcNow());
    out.append("\",\"client\":");
    appendJsonString(out, entry.client);
    out.append(",\"method\":");
    appendJsonString(out, entry.method);
    out.append(",\"path\":");
    appendJsonString(out, entry.target.substr(0, query));
    out.append(",\"query\":");
    appendJsonString(out, query == std::string_view::npos ? std::string_view()
                                                          : entry.target.substr(query + 1));
    out.append(entry.minor_version == 0 ? ",\"protocol\":\"HTTP/1.0\",\"status\":"
                                        : ",\"protocol\":\"HTTP/1.1\",\"status\":");
    appendNumber(out, static_cast<std::uint64_t>(entry.status));
    out.append(",\"bytes_sent\":");
    appendNumber(out, entry.bytes_sent);
    out.append(",\"bytes_received\":");
    appendNumber(out, entry.bytes_received);
    out.append(",\"duration_s\":");
    appendSeconds(out, entry.seconds);
    out.append(",\"upstream_duration_s\":");
    if (entry.upstream_seconds < 0)
        out.append("null");
    else
        appendSeconds(out, entry.upstream_seconds);
    out.append(",\"service\":");
    if (entry.service == "-")
        out.append("null");
    else
        appendJsonString(out, entry.service);
    out.append(",\"upstreams\":[");
    for (std::size_t i = 0; i < entry.tries.size(); ++i) {
        if (i)
            out.push_back(',');
        appendJsonString(out, entry.tries[i].upstream);
    }
    out.append("],\"upstream_statuses\":[");
    for (std::size_t i = 0; i < entry.tries.size(); ++i) {
        if (i)
            out.push_back(',');
        if (entry.tries[i].status)
            appendNumber(out, static_cast<std::uint64_t>(entry.tries[i].status));
        else
            out.append("null");
    }
    out.append("],\"user_agent\":");
    appendJsonString(out, entry.user_agent);
    out.append(",\"referer\":");
    appendJsonString(out, entry.referer);
    out.append(",\"request_id\":");
    if (entry.request_id.empty())
        out.append("null");
    else
        appendJsonString(out, entry.request_id);
    out.append(entry.tls ? ",\"tls\":true}\n" : ",\"tls\":false}\n");
}

}  // namespace

void AccessLog::write(Format format, const Entry& entry) {
    if (!file_.enabled())
        return;
    switch (format) {
    case Format::Default:
        writeDefault(buffer_, entry);
        break;
    case Format::Combined:
        writeCombined(buffer_, entry);
        break;
    case Format::Json:
        writeJson(buffer_, entry);
        break;
    }
    if (buffer_.size() >= kFlushBytes)
        flush();
}

}  // namespace switchboard
