// SPDX-License-Identifier: Apache-2.0
#pragma once

// The character classes and token rules of HTTP/1.1 (RFC 9110 §5.6), shared by the head
// parser, the chunked decoder and the message rewriter: one definition of "token",
// "case-insensitive" and "comma list" for the whole HTTP layer.

#include <array>
#include <string_view>

namespace switchboard {

using CharClass = std::array<bool, 256>;

// tchar (RFC 9110 §5.6.2): the characters of a method, a field name, a coding or a token.
constexpr CharClass makeTokenChars() {
    CharClass table{};
    for (int c = '0'; c <= '9'; ++c)
        table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[c] = true;
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~"))
        table[c] = true;
    return table;
}

// VCHAR: visible ASCII. The characters allowed in a request target and a version.
constexpr CharClass makeVisibleChars() {
    CharClass table{};
    for (int c = 0x21; c <= 0x7e; ++c)
        table[c] = true;
    return table;
}

// field-vchar / SP / HTAB (RFC 9110 §5.5), also used for reason phrases and extensions.
constexpr CharClass makeFieldValueChars() {
    CharClass table = makeVisibleChars();
    table[' '] = true;
    table['\t'] = true;
    for (int c = 0x80; c <= 0xff; ++c)
        table[c] = true;
    return table;
}

// uri-host [ ":" port ] (RFC 3986 §3.2.2): unreserved, pct-encoded, sub-delims, ':' and the
// brackets of an IP-literal; except ',', which no real host name holds and which would let
// `Host: a, b` be read as a list of two hosts.
constexpr CharClass makeHostChars() {
    CharClass table{};
    for (int c = '0'; c <= '9'; ++c)
        table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[c] = true;
    for (unsigned char c : std::string_view("-._~%!$&'()*+;=:[]"))
        table[c] = true;
    return table;
}

inline constexpr CharClass kTokenChars = makeTokenChars();
inline constexpr CharClass kVisibleChars = makeVisibleChars();
inline constexpr CharClass kFieldValueChars = makeFieldValueChars();
inline constexpr CharClass kHostChars = makeHostChars();

inline bool isIn(const CharClass& table, char c) {
    return table[static_cast<unsigned char>(c)];
}
inline bool isOws(char c) {
    return c == ' ' || c == '\t';
}
inline bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

inline char lowerAscii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// ASCII case-insensitive equality; `lower` must already be lower case.
inline bool equalsLower(std::string_view text, std::string_view lower) {
    if (text.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (lowerAscii(text[i]) != lower[i])
            return false;
    }
    return true;
}

// ASCII case-insensitive equality (never the locale's). Where one side is a literal, say
// equalsLower: it lowers one side only.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && lowerAscii(a[i]) != lowerAscii(b[i]))
            return false;
    }
    return true;
}

inline std::string_view trimOws(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && isOws(text[begin]))
        ++begin;
    while (end > begin && isOws(text[end - 1]))
        --end;
    return text.substr(begin, end - begin);
}

// Calls `visit(element)` for each comma-separated element of `list`, OWS-trimmed; empty
// elements are passed too so that callers can decide whether they are acceptable. Stops early
// when `visit` returns false; returns false in that case.
template <typename Visit> bool forEachListElement(std::string_view list, Visit&& visit) {
    for (;;) {
        std::size_t comma = list.find(',');
        if (!visit(trimOws(list.substr(0, comma))))
            return false;
        if (comma == std::string_view::npos)
            return true;
        list.remove_prefix(comma + 1);
    }
}

// True if the comma-separated `list` (a Connection value, say) has an element equal to
// `token`, case-insensitively, ignoring OWS around elements.
bool listHasToken(std::string_view list, std::string_view token);

}  // namespace switchboard
