// SPDX-License-Identifier: Apache-2.0
// Keeps bytes that toml++ 3.3 cannot classify safely away from it (see toml_guard.h).
#include "toml_guard.h"

namespace switchboard {

namespace {

// Code: between tokens. Bare: a key or a value that is not a string. BareBasic, BareLiteral:
// quotes inside a bare token -- a quoted segment of a dotted key (`a."b#c".d`) to toml++, but
// just more characters of the token where it scans a value (`0["x"`); as it may be either,
// no non-ASCII character is allowed in them, and a '#' in them starts no comment.
enum class Lexeme {
    Code,
    Bare,
    BareBasic,
    BareLiteral,
    Comment,
    Basic,
    Literal,
    MultiBasic,
    MultiLiteral
};

bool endsBare(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ']' || c == '}' || c == ',' ||
           c == '#';
}

bool at(std::string_view text, std::size_t pos, std::string_view what) {
    return text.substr(pos, what.size()) == what;
}

constexpr const char* kBadEscape = "backslash before a non-ASCII character (not an escape)";

bool isNonAscii(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

TomlInputProblem problemAt(std::string_view text, std::size_t offset, const char* message) {
    TomlInputProblem problem{1, 1, message};
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++problem.line;
            problem.column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++problem.column;  // toml++ counts columns in code points
        }
    }
    return problem;
}

}  // namespace

std::optional<TomlInputProblem> checkTomlInput(std::string_view text) {
    std::size_t pos = at(text, 0, "\xEF\xBB\xBF") ? 3 : 0;  // toml++ skips a byte order mark
    Lexeme state = Lexeme::Code;
    while (pos < text.size()) {
        char c = text[pos];
        switch (state) {
        case Lexeme::Code:
            if (c == '#') {
                state = Lexeme::Comment;
            } else if (c == '"') {
                state = at(text, pos, "\"\"\"") ? Lexeme::MultiBasic : Lexeme::Basic;
                pos += state == Lexeme::MultiBasic ? 2 : 0;
            } else if (c == '\'') {
                state = at(text, pos, "'''") ? Lexeme::MultiLiteral : Lexeme::Literal;
                pos += state == Lexeme::MultiLiteral ? 2 : 0;
            } else if (isNonAscii(c)) {
                // Never valid TOML (bare keys and values are ASCII), and where toml++ looks for
                // whitespace it may reach TOML_UNREACHABLE on such a character.
                return problemAt(text, pos,
                                 "non-ASCII character outside a quoted string or comment");
            } else if (!endsBare(c) && c != '[' && c != '{' && c != '=') {
                state = Lexeme::Bare;
            }
            break;
        case Lexeme::Bare:
            if (isNonAscii(c))
                return problemAt(text, pos,
                                 "non-ASCII character outside a quoted string or comment");
            if (endsBare(c)) {
                state = Lexeme::Code;
                continue;  // the terminator itself may start a comment
            }
            if (c == '"')
                state = Lexeme::BareBasic;
            else if (c == '\'')
                state = Lexeme::BareLiteral;
            break;
        case Lexeme::BareBasic:
        case Lexeme::BareLiteral:
            if (isNonAscii(c))
                return problemAt(text, pos,
                                 "non-ASCII character outside a quoted string or comment");
            if (c == '\n')
                state = Lexeme::Code;
            else if (state == Lexeme::BareBasic && c == '\\' && pos + 1 < text.size() &&
                     !isNonAscii(text[pos + 1]))
                ++pos;  // the escaped byte; a non-ASCII one is refused as the next character
            else if (c == (state == Lexeme::BareBasic ? '"' : '\''))
                state = Lexeme::Bare;
            break;
        case Lexeme::Comment:
            if (c == '\n')
                state = Lexeme::Code;
            break;
        case Lexeme::Basic:
            if (c == '\\') {
                if (pos + 1 < text.size() && isNonAscii(text[pos + 1]))
                    return problemAt(text, pos, kBadEscape);
                ++pos;  // the escaped byte
            } else if (c == '"' || c == '\n')
                state = Lexeme::Code;  // a string broken by a newline is toml++'s error to report
            break;
        case Lexeme::Literal:
            if (c == '\'' || c == '\n')
                state = Lexeme::Code;
            break;
        case Lexeme::MultiBasic:
            if (c == '\\') {
                // toml++ first looks for whitespace after the backslash, with the classifier.
                std::size_t next = pos + 1;
                while (next < text.size() && (text[next] == ' ' || text[next] == '\t'))
                    ++next;
                if (next < text.size() && isNonAscii(text[next]))
                    return problemAt(text, pos, kBadEscape);
                if (next < text.size() && (text[next] == '\n' || at(text, next, "\r\n"))) {
                    // A line-ending backslash: toml++ skips the whitespace after it with the
                    // classifier that is unsafe for non-ASCII (toml++ issue #190).
                    while (next < text.size() && (text[next] == ' ' || text[next] == '\t' ||
                                                  text[next] == '\r' || text[next] == '\n'))
                        ++next;
                    if (next < text.size() && isNonAscii(text[next]))
                        return problemAt(text, next,
                                         "non-ASCII character after a line-ending backslash in a "
                                         "multi-line string (write a space or an escape first)");
                    pos = next;
                    continue;
                }
                ++pos;  // the escaped byte
            } else if (at(text, pos, "\"\"\"")) {
                while (pos + 1 < text.size() && text[pos + 1] == '"')
                    ++pos;  // up to two quotes may end the content itself
                state = Lexeme::Code;
            }
            break;
        case Lexeme::MultiLiteral:
            if (at(text, pos, "'''")) {
                while (pos + 1 < text.size() && text[pos + 1] == '\'')
                    ++pos;
                state = Lexeme::Code;
            }
            break;
        }
        ++pos;
    }
    return std::nullopt;
}

}  // namespace switchboard
