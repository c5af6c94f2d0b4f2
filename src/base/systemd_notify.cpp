// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstring>
#include <ctime>

#include "switchboard/base/log.h"

namespace switchboard::systemd {

namespace {

std::string oneLine(std::string_view text) {
    std::string line(text);
    for (char& c : line)
        if (c == '\n' || c == '\r')
            c = ' ';
    return line;
}

void send(const std::string& message) {
    // sd_notify() looks NOTIFY_SOCKET up on every call and answers 0 when it is unset; the
    // variable is kept (unset_environment = 0) because there is more to say later.
    int sent = sd_notify(0, message.c_str());
    if (sent < 0)
        logDebug("sd_notify(\"" + oneLine(message) + "\") failed: " + std::strerror(-sent));
}

}  // namespace

std::string readyMessage(std::string_view status) {
    return "READY=1\n" + statusMessage(status);
}

std::string reloadingMessage(std::uint64_t monotonic_usec) {
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec);
}

std::string statusMessage(std::string_view status) {
    return "STATUS=" + oneLine(status);
}

std::string statusText(std::size_t services, std::size_t upstreams,
                       std::string_view last_reload_error) {
    std::string text = std::to_string(services) + (services == 1 ? " service, " : " services, ") +
                       std::to_string(upstreams) + (upstreams == 1 ? " upstream" : " upstreams");
    if (!last_reload_error.empty())
        text += "; last reload refused: " + oneLine(last_reload_error);
    return text;
}

std::uint64_t monotonicMicroseconds() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

void ready(std::string_view status) {
    send(readyMessage(status));
}

void reloading() {
    send(reloadingMessage(monotonicMicroseconds()));
}

void stopping() {
    send("STOPPING=1");
}

void status(std::string_view text) {
    send(statusMessage(text));
}

}  // namespace switchboard::systemd
