// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/route_table.h"

#include <algorithm>

#include "switchboard/config/config.h"

namespace switchboard {

namespace route_detail {

bool matchPattern(std::string_view pattern, const std::vector<std::string>& segments,
                  RouteParameters& parameters) {
    if (pattern == "/")
        return segments.empty();  // the root: no segment to walk
    std::size_t index = 0;
    while (!pattern.empty()) {
        pattern.remove_prefix(1);  // the '/' before each segment
        const auto slash = pattern.find('/');
        const std::string_view part = pattern.substr(0, slash);
        pattern.remove_prefix(slash == std::string_view::npos ? pattern.size() : slash);
        if (part == "*")
            return true;
        if (index == segments.size())
            return false;
        const std::string& segment = segments[index++];
        if (part == "{service}")
            parameters.service = segment;
        else if (part == "{address}")
            parameters.address = segment;
        else if (part != segment)
            return false;
    }
    return index == segments.size();
}

bool methodServes(evhttp_cmd_type row, evhttp_cmd_type request) {
    return request == row || (request == EVHTTP_REQ_HEAD && row == EVHTTP_REQ_GET);
}

std::optional<RouteRefusal> checkParameters(RouteParameters& parameters) {
    if (parameters.service) {
        if (auto problem = checkServiceName(*parameters.service))
            return RouteRefusal{400, std::move(*problem), ""};
    }
    if (parameters.address) {
        if (auto problem = checkUpstreamAddress(*parameters.address))
            return RouteRefusal{400, std::move(*problem), ""};
    }
    return std::nullopt;
}

RouteRefusal refuse(const std::vector<evhttp_cmd_type>& allowed) {
    if (allowed.empty())
        return {404, "no such admin endpoint", ""};
    std::string allow;
    for (auto it = allowed.begin(); it != allowed.end(); ++it) {
        if (std::find(allowed.begin(), it, *it) != it)
            continue;  // several patterns fit (a seed call and its usage row): once each
        allow += (allow.empty() ? "" : ", ") + std::string(methodName(*it));
    }
    return {405, "method not allowed; use " + allow, allow};
}

}  // namespace route_detail

const char* methodName(evhttp_cmd_type method) {
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "?";
}

}  // namespace switchboard
