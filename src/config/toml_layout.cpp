// SPDX-License-Identifier: Apache-2.0
// The text side of the in-place editor: lines, header paths and where toml++'s positions are.
#include "toml_layout.h"

#include <cstdint>

namespace switchboard {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::size_t codePointLength(unsigned char lead) {
    if (lead >= 0xF0)
        return 4;
    if (lead >= 0xE0)
        return 3;
    if (lead >= 0xC0)
        return 2;
    return 1;
}

void appendUtf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

// Reads one key segment at text[at]: bare, "basic" or 'literal'. Advances `at` past it.
class KeySegmentReader {
  public:
    KeySegmentReader(std::string_view text, std::size_t& at) : text_(text), at_(at) {}

    std::optional<std::string> read() {
        if (at_ >= text_.size())
            return std::nullopt;
        if (text_[at_] == '"')
            return readBasic();
        if (text_[at_] == '\'')
            return readLiteral();
        return readBare();
    }

  private:
    static bool isBareKeyChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    }

    std::optional<std::string> readBare() {
        std::size_t begin = at_;
        while (at_ < text_.size() && isBareKeyChar(text_[at_]))
            ++at_;
        if (at_ == begin)
            return std::nullopt;
        return std::string(text_.substr(begin, at_ - begin));
    }

    std::optional<std::string> readLiteral() {
        auto close = text_.find('\'', at_ + 1);
        if (close == std::string_view::npos)
            return std::nullopt;
        std::string segment(text_.substr(at_ + 1, close - at_ - 1));
        at_ = close + 1;
        return segment;
    }

    std::optional<std::string> readBasic() {
        std::string segment;
        for (++at_; at_ < text_.size(); ++at_) {
            char c = text_[at_];
            if (c == '"') {
                ++at_;
                return segment;
            }
            if (c != '\\') {
                segment += c;
                continue;
            }
            if (++at_ >= text_.size() || !readEscape(segment))
                return std::nullopt;
        }
        return std::nullopt;
    }

    // text_[at_] is the character after a backslash; leaves at_ on the escape's last character.
    bool readEscape(std::string& segment) {
        constexpr std::string_view kEscapes = "btnfr\"\\";
        constexpr std::string_view kMeanings = "\b\t\n\f\r\"\\";
        char c = text_[at_];
        if (auto which = kEscapes.find(c); which != std::string_view::npos) {
            segment += kMeanings[which];
            return true;
        }
        if (c == 'u' || c == 'U')
            return readUnicodeEscape(segment, c == 'u' ? 4 : 8);
        return false;
    }

    bool readUnicodeEscape(std::string& segment, std::size_t digits) {
        if (at_ + digits >= text_.size())
            return false;
        std::uint32_t code_point = 0;
        for (std::size_t i = 1; i <= digits; ++i) {
            char c = text_[at_ + i];
            std::uint32_t digit;
            if (c >= '0' && c <= '9')
                digit = static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                digit = static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                digit = static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return false;
            code_point = code_point * 16 + digit;
        }
        appendUtf8(segment, code_point);
        at_ += digits;
        return true;
    }

    std::string_view text_;
    std::size_t& at_;
};

}  // namespace

bool isBlankChar(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && isBlankChar(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isBlankChar(text.back()))
        text.remove_suffix(1);
    return text;
}

bool isBlank(std::string_view text) {
    return trimmed(text).empty();
}

bool isCommentLine(std::string_view text) {
    return trimmed(text).starts_with('#');
}

std::string_view leadingWhitespace(std::string_view text) {
    std::size_t length = 0;
    while (length < text.size() && (text[length] == ' ' || text[length] == '\t'))
        ++length;
    return text.substr(0, length);
}

bool holdsHeaderTables(const toml::array& array) {
    return std::any_of(array.begin(), array.end(), [](const toml::node& element) {
        return element.is_table() && !element.as_table()->is_inline();
    });
}

std::optional<TomlPath> parseHeaderPath(std::string_view line) {
    std::size_t at = 0;
    auto skipBlanks = [&] {
        while (at < line.size() && (line[at] == ' ' || line[at] == '\t'))
            ++at;
    };
    skipBlanks();
    if (at >= line.size() || line[at] != '[')
        return std::nullopt;
    ++at;
    bool array_of_tables = at < line.size() && line[at] == '[';
    if (array_of_tables)
        ++at;
    TomlPath path;
    for (;;) {
        skipBlanks();
        auto segment = KeySegmentReader(line, at).read();
        if (!segment)
            return std::nullopt;
        path.push_back(std::move(*segment));
        skipBlanks();
        if (at < line.size() && line[at] == '.') {
            ++at;
            continue;
        }
        break;
    }
    for (int brackets = array_of_tables ? 2 : 1; brackets > 0; --brackets, ++at)
        if (at >= line.size() || line[at] != ']')
            return std::nullopt;
    return path;
}

TextLines::TextLines(std::string_view text) : text_(text) {
    starts_.push_back(text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0);
    for (std::size_t i = starts_.front(); i < text.size(); ++i)
        if (text[i] == '\n')
            starts_.push_back(i + 1);
    auto first_break = text.find('\n');
    newline_ =
        first_break != std::string_view::npos && first_break > 0 && text[first_break - 1] == '\r'
            ? "\r\n"
            : "\n";
}

std::size_t TextLines::contentEnd(std::size_t line) const {
    std::size_t end = next(line);
    if (end > start(line) && text_[end - 1] == '\n') {
        --end;
        if (end > start(line) && text_[end - 1] == '\r')
            --end;
    }
    return end;
}

std::size_t TextLines::offsetOf(const toml::source_position& where) const {
    std::size_t offset = start(lineOf(where));
    for (std::size_t column = 1; column < where.column && offset < text_.size(); ++column)
        offset += codePointLength(static_cast<unsigned char>(text_[offset]));
    return std::min(offset, text_.size());
}

TomlLayout::TomlLayout(std::string_view text, const toml::table& root)
    : text_(text), lines_(text), continuation_(lines_.count(), false) {
    markMultiLineValues(root);
    findHeaders();
}

void TomlLayout::markMultiLineValues(const toml::node& node) {
    if (auto* table = node.as_table(); table && !table->is_inline()) {
        for (auto&& [key, child] : *table)
            markMultiLineValues(child);
        return;
    }
    if (auto* array = node.as_array(); array && holdsHeaderTables(*array)) {
        for (auto& element : *array)
            markMultiLineValues(element);
        return;
    }
    const auto& where = node.source();
    for (std::size_t line = where.begin.line; line < where.end.line && line < lines_.count();
         ++line)
        continuation_[line] = true;  // 0-based `line` is the 1-based line after begin
}

void TomlLayout::findHeaders() {
    for (std::size_t line = 0; line < lines_.count(); ++line) {
        if (continuation_[line] || !trimmed(lines_.content(line)).starts_with('['))
            continue;
        headers_.push_back({line, parseHeaderPath(lines_.content(line))});
    }
}

const TomlLayout::HeaderLine* TomlLayout::headerAt(std::size_t line) const {
    for (const auto& header : headers_)
        if (header.line == line)
            return &header;
    return nullptr;
}

std::size_t TomlLayout::sectionEnd(std::size_t header_line) const {
    for (const auto& header : headers_)
        if (header.line > header_line)
            return header.line;
    return lines_.count();
}

std::size_t TomlLayout::lastContentLine(std::size_t header_line) const {
    for (std::size_t line = sectionEnd(header_line); line-- > header_line + 1;) {
        auto content = lines_.content(line);
        if (continuation_[line] || !(isBlank(content) || isCommentLine(content)))
            return line;
    }
    return header_line;
}

bool TomlLayout::startsAtHeader(const toml::node& node) const {
    auto offset = lines_.offsetOf(node.source().begin);
    return offset < text_.size() && text_[offset] == '[';
}

std::string TomlLayout::indentOfKeys(const toml::table& table) const {
    std::optional<std::size_t> first_line;
    for (auto&& [key, node] : table) {
        auto* array = node.as_array();
        if ((node.is_table() && startsAtHeader(node)) || (array && holdsHeaderTables(*array)))
            continue;
        auto line = lines_.lineOf(key.source().begin);
        if (!first_line || line < *first_line)
            first_line = line;
    }
    return first_line ? std::string(leadingWhitespace(lines_.content(*first_line))) : "";
}

bool TomlLayout::isBlankLine(std::size_t line) const {
    return !continuation_[line] && isBlank(lines_.content(line));
}

bool TomlLayout::holdsComments(const toml::array& array) const {
    std::size_t gap_begin = lines_.offsetOf(array.source().begin) + 1;
    // Between the elements there are only blanks, commas and comments.
    auto gapHoldsComment = [&](std::size_t gap_end) {
        return gap_end > gap_begin &&
               text_.substr(gap_begin, gap_end - gap_begin).find('#') != std::string_view::npos;
    };
    for (const auto& element : array) {
        if (gapHoldsComment(lines_.offsetOf(element.source().begin)))
            return true;
        gap_begin = lines_.offsetOf(element.source().end);
    }
    return gapHoldsComment(lines_.offsetOf(array.source().end));
}

}  // namespace switchboard
