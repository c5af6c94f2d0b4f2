// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/net_address.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace switchboard {

std::string HostPort::toString() const {
    if (kind == Kind::IPv6)
        return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

bool isValidHostname(std::string_view host) {
    if (host.empty() || host.size() > 253)
        return false;
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= host.size(); ++i) {
        if (i < host.size() && host[i] != '.') {
            unsigned char c = static_cast<unsigned char>(host[i]);
            if (!std::isalnum(c) && c != '-')
                return false;
            continue;
        }
        std::size_t length = i - label_start;
        if (length == 0 || length > 63)
            return false;
        if (host[label_start] == '-' || host[i - 1] == '-')
            return false;
        label_start = i + 1;
    }
    return true;
}

namespace {

Result<std::uint16_t> parsePort(std::string_view text, std::string_view whole) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > 65535)
        return invalid("invalid port in address '" + std::string(whole) +
                       "': expected a number from 1 to 65535");
    return static_cast<std::uint16_t>(value);
}

bool looksLikeIPv4(std::string_view host) {
    for (char c : host)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.')
            return false;
    return true;
}

}  // namespace

Result<HostPort> parseHostPort(std::string_view text) {
    std::string whole(text);
    if (text.empty())
        return invalid("empty address: expected host:port");
    HostPort result;
    std::string_view port_text;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return invalid("invalid address '" + whole + "': expected [IPv6]:port");
        result.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
        in6_addr parsed{};
        if (inet_pton(AF_INET6, result.host.c_str(), &parsed) != 1)
            return invalid("invalid IPv6 address in '" + whole + "'");
        char canonical[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &parsed, canonical, sizeof canonical);
        result.host = canonical;
        result.kind = HostPort::Kind::IPv6;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return invalid("invalid address '" + whole + "': expected host:port");
        if (text.find(':') != colon)
            return invalid("invalid address '" + whole + "': write IPv6 addresses as [addr]:port");
        result.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (result.host.empty())
            return invalid("invalid address '" + whole + "': missing host");
        if (looksLikeIPv4(result.host)) {
            in_addr parsed{};
            if (inet_pton(AF_INET, result.host.c_str(), &parsed) != 1)
                return invalid("invalid IPv4 address in '" + whole + "'");
            result.kind = HostPort::Kind::IPv4;
        } else {
            if (!isValidHostname(result.host))
                return invalid("invalid hostname in '" + whole + "'");
            for (auto& c : result.host)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            result.kind = HostPort::Kind::Hostname;
        }
    }
    auto port = parsePort(port_text, text);
    if (!port)
        return port.error();
    result.port = *port;
    return result;
}

}  // namespace switchboard
