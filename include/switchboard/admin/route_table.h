// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <event2/http.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace switchboard {

// The parameters of a matched path. findRoute checks each one before the handler runs, so a
// handler takes them as valid; a parameter its pattern does not have stays empty.
struct RouteParameters {
    std::optional<std::string> service;  // {service}: passes checkServiceName
    std::optional<std::string> address;  // {address}: host:port, rewritten to its canonical form
};

// One row of a route table. The pattern's segments are literals, `{service}`, `{address}`,
// or a last `*` that takes any number of further segments (none included). A GET row
// answers HEAD too.
template <typename Handler> struct Route {
    evhttp_cmd_type method;
    std::string_view pattern;
    Handler handler;
};

// The row that takes a request, with its parameters checked.
template <typename Handler> struct RouteMatch {
    const Handler* handler;
    RouteParameters parameters;
};

// What to answer when no row takes a request: 404 (no pattern fits the path), 405 (a pattern
// fits, with another method; `allow` lists the methods of every pattern that fits) or 400 (a
// parameter is not valid; its check's message).
struct RouteRefusal {
    int status = 404;
    std::string error;
    std::string allow;  // the `Allow` header of a 405, "" otherwise
};

// The pieces of findRoute that do not depend on the handler type.
namespace route_detail {

// True when `segments` (percent-decoded, no empty ones) fit `pattern`; fills `parameters`
// with the segments that stand at its parameters, unchecked.
bool matchPattern(std::string_view pattern, const std::vector<std::string>& segments,
                  RouteParameters& parameters);
bool methodServes(evhttp_cmd_type row, evhttp_cmd_type request);
// Checks the parameters in path order (service, then address); the first problem, if any.
std::optional<RouteRefusal> checkParameters(RouteParameters& parameters);
// 404 when `allowed` is empty, else 405 naming each of its methods once, in table order.
RouteRefusal refuse(const std::vector<evhttp_cmd_type>& allowed);

}  // namespace route_detail

// The first row whose pattern fits the path and whose method serves the request. A method is
// checked before the parameters, so a wrong method is 405 even when a parameter is bad.
template <typename Handler>
std::variant<RouteMatch<Handler>, RouteRefusal>
findRoute(std::span<const Route<Handler>> routes, evhttp_cmd_type method,
          const std::vector<std::string>& segments) {
    std::vector<evhttp_cmd_type> allowed;
    for (const Route<Handler>& route : routes) {
        RouteParameters parameters;
        if (!route_detail::matchPattern(route.pattern, segments, parameters))
            continue;
        if (!route_detail::methodServes(route.method, method)) {
            allowed.push_back(route.method);
            continue;
        }
        if (auto refusal = route_detail::checkParameters(parameters))
            return std::move(*refusal);
        return RouteMatch<Handler>{&route.handler, std::move(parameters)};
    }
    return route_detail::refuse(allowed);
}

// "GET", "POST", ...: a method as a request line and `Allow` write it.
const char* methodName(evhttp_cmd_type method);

}  // namespace switchboard
