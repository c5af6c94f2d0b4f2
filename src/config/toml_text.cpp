// SPDX-License-Identifier: Apache-2.0
#include "switchboard/config/toml_text.h"

#include <cctype>
#include <cstdio>

namespace switchboard {

std::string tomlQuote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                out += escaped;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

// An empty key is left bare (and so is not valid TOML): checkServiceName rejects an empty name
// before anything is rendered, and renderConfig has always written it this way.
std::string tomlKey(std::string_view key) {
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return tomlQuote(key);
    return std::string(key);
}

std::string tomlPath(const TomlPath& path) {
    std::string out;
    for (const auto& key : path)
        out += (out.empty() ? "" : ".") + tomlKey(key);
    return out;
}

std::string tomlValue(const std::string& text) {
    return tomlQuote(text);
}

std::string tomlValue(std::int64_t number) {
    return std::to_string(number);
}

std::string tomlValue(bool flag) {
    return flag ? "true" : "false";
}

std::string tomlValue(const std::vector<std::string>& texts) {
    if (texts.size() == 1)
        return tomlQuote(texts.front());
    std::vector<std::string> quoted;
    for (const auto& text : texts)
        quoted.push_back(tomlQuote(text));
    return tomlArray(quoted);
}

std::string tomlArray(const std::vector<std::string>& elements) {
    std::string out = "[";
    for (std::size_t i = 0; i < elements.size(); ++i)
        out += (i ? ", " : "") + elements[i];
    return out + "]";
}

std::string tomlInlineTable(const std::vector<TomlKeyValue>& keys) {
    std::string out = "{";
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += (i ? ", " : " ") + tomlKey(keys[i].key) + " = " + keys[i].value;
    return out + (keys.empty() ? "}" : " }");
}

std::string tomlSection(const TomlPath& path, const std::vector<TomlKeyValue>& keys,
                        std::string_view newline) {
    std::string out = "[" + tomlPath(path) + "]" + std::string(newline);
    for (const auto& [key, value] : keys)
        out += tomlKey(key) + " = " + value + std::string(newline);
    return out;
}

}  // namespace switchboard
