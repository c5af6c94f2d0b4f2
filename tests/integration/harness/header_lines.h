// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace harness {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The "Name: value" lines of a message head (without its first line and final CRLF),
// from `pos` on. Lenient on purpose: the harness records what arrived, the tests judge it.
inline HeaderList parseHeaderLines(const std::string& head, std::size_t pos) {
    HeaderList headers;
    while (pos < head.size()) {
        std::size_t end = head.find("\r\n", pos);
        if (end == std::string::npos)
            end = head.size();
        std::string line = head.substr(pos, end - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            headers.emplace_back(line.substr(0, colon), value);
        }
        pos = end + 2;
    }
    return headers;
}

}  // namespace harness
