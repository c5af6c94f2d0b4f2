// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/toml_text.h"
#include "toml.h"

namespace switchboard {

// Where things stand in the text of a TOML document: its lines, its table headers, and the
// byte offsets of what toml++ reports in lines and columns. The in-place editor plans its edits
// from this; nothing here knows the config schema.

bool isBlankChar(char c);  // ' ', '\t' or '\r'
std::string_view trimmed(std::string_view text);
bool isBlank(std::string_view text);
// A line that holds nothing but a comment: the editor never removes one.
bool isCommentLine(std::string_view text);
std::string_view leadingWhitespace(std::string_view text);

// An array of [[header]] tables rather than a value.
bool holdsHeaderTables(const toml::array& array);

// The key path of a `[a.b.c]` or `[[a.b]]` header line, or nothing when the line is not one
// this reader understands.
std::optional<TomlPath> parseHeaderPath(std::string_view line);

// Replaces text[begin, end) (an insertion when begin == end).
struct TextEdit {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
};

// The text split into lines, and the translation of toml++ positions into byte offsets.
// Lines are 0-based here; toml++ counts lines from 1 and columns in code points from 1, after
// a byte order mark it skips.
class TextLines {
  public:
    explicit TextLines(std::string_view text);

    std::size_t count() const { return starts_.size(); }
    std::size_t start(std::size_t line) const { return starts_[line]; }
    std::size_t next(std::size_t line) const {
        return line + 1 < starts_.size() ? starts_[line + 1] : text_.size();
    }
    // Where the line's "\n" or "\r\n" begins (or the end of the text).
    std::size_t contentEnd(std::size_t line) const;
    std::string_view content(std::size_t line) const {
        return text_.substr(start(line), contentEnd(line) - start(line));
    }
    std::string_view terminator(std::size_t line) const {
        return text_.substr(contentEnd(line), next(line) - contentEnd(line));
    }
    bool hasTerminator(std::size_t line) const { return next(line) > contentEnd(line); }

    std::size_t lineOf(const toml::source_position& where) const {
        return std::min<std::size_t>(where.line > 0 ? where.line - 1 : 0, count() - 1);
    }
    std::size_t offsetOf(const toml::source_position& where) const;

    // The file's line ending, taken from its first line: "\r\n" or "\n".
    const std::string& newline() const { return newline_; }

  private:
    std::string_view text_;
    std::vector<std::size_t> starts_;
    std::string newline_;
};

// The lines of a parsed document, and which of them are table headers.
class TomlLayout {
  public:
    struct HeaderLine {
        std::size_t line;
        std::optional<TomlPath> path;  // nothing when the header could not be read
    };

    // `root` is `text` parsed; both must outlive the layout.
    TomlLayout(std::string_view text, const toml::table& root);

    std::string_view text() const { return text_; }
    const TextLines& lines() const { return lines_; }
    const std::vector<HeaderLine>& headers() const { return headers_; }
    const HeaderLine* headerAt(std::size_t line) const;

    // The line after the last line of the section that `header_line` starts.
    std::size_t sectionEnd(std::size_t header_line) const;
    // The section's last line that holds a key or part of a value (not a blank line or a
    // comment line, which may introduce the next section); the header line when none does.
    std::size_t lastContentLine(std::size_t header_line) const;
    // Blank, and not inside a value that spans lines.
    bool isBlankLine(std::size_t line) const;

    // A table written under its own header (rather than implied or inline).
    bool startsAtHeader(const toml::node& node) const;
    // The indentation of the first key-value line of a table, "" when it has none.
    std::string indentOfKeys(const toml::table& table) const;
    bool holdsComments(const toml::array& array) const;

  private:
    void markMultiLineValues(const toml::node& node);
    void findHeaders();

    std::string_view text_;
    TextLines lines_;
    // Lines inside a value that spans lines (an array, a multi-line string): neither headers
    // nor comment lines of their own.
    std::vector<bool> continuation_;
    std::vector<HeaderLine> headers_;
};

}  // namespace switchboard
