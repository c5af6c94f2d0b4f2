// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// The daemon's side of systemd's readiness protocol (sd_notify(3), Type=notify; SPEC §7).
// Every call is a no-op unless systemd (or a test playing its part) set NOTIFY_SOCKET, so a
// switchboard started by hand behaves exactly as one without systemd. A message that cannot
// be sent is logged at debug level and otherwise ignored: serving traffic matters more than
// telling systemd about it.
namespace switchboard::systemd {

// "READY=1" plus "STATUS=<status>": start-up is complete, or a reload has ended.
void ready(std::string_view status);
// "RELOADING=1" plus "MONOTONIC_USEC=<now>" (systemd ≥ 253 wants the timestamp to tell this
// reload from an earlier one); always followed by ready() once the reload is decided.
void reloading();
// "STOPPING=1": shutdown has begun.
void stopping();
// "STATUS=<text>" alone: shown by `systemctl status`.
void status(std::string_view text);

// The message texts, apart from sending them, so that they can be tested without a socket.
// Newlines in `status` would end the assignment early, so they become spaces.
std::string readyMessage(std::string_view status);
std::string reloadingMessage(std::uint64_t monotonic_usec);
std::string statusMessage(std::string_view status);

// The STATUS= text: "<N> services, <M> upstreams", plus "; last reload refused: <why>" when
// the most recent reload was refused.
std::string statusText(std::size_t services, std::size_t upstreams,
                       std::string_view last_reload_error = {});

// CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC against.
std::uint64_t monotonicMicroseconds();

}  // namespace switchboard::systemd
