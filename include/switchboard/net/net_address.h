// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/base/result.h"

namespace switchboard {

// "host:port" as written in the config and the admin API: IPv4, [IPv6] or an RFC 1123
// hostname, and a port 1-65535.
struct HostPort {
    enum class Kind { IPv4, IPv6, Hostname };

    std::string host;  // without brackets for IPv6
    std::uint16_t port = 0;
    Kind kind = Kind::Hostname;

    // The canonical text form: brackets around IPv6, lowercase hostname.
    std::string toString() const;
    bool operator==(const HostPort&) const = default;
};

Result<HostPort> parseHostPort(std::string_view text);

bool isValidHostname(std::string_view host);

}  // namespace switchboard
