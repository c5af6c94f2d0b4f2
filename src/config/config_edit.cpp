// The comment-preserving write-back of the config file (SPEC §6). toml++ tells where each value
// is written; the edits are made on the text itself, and the result is parsed again and must
// mean exactly the new Config, or the whole file is rendered canonically instead.
#include "switchboard/config/config_edit.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "switchboard/config/config_file.h"
#include "toml.h"

namespace switchboard {

namespace {

using Path = std::vector<std::string>;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

Path childPath(Path path, std::string_view key) {
    path.emplace_back(key);
    return path;
}

bool startsWith(const Path& path, const Path& prefix) {
    return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

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

// A line that holds nothing but a comment: the edit path never removes one.
bool isCommentLine(std::string_view text) {
    return trimmed(text).starts_with('#');
}

std::string_view leadingWhitespace(std::string_view text) {
    std::size_t length = 0;
    while (length < text.size() && (text[length] == ' ' || text[length] == '\t'))
        ++length;
    return text.substr(0, length);
}

// The text split into lines, and the translation of toml++ positions into byte offsets.
// Lines are 0-based here; toml++ counts lines from 1 and columns in code points from 1, after
// a byte order mark it skips.
class TextLines {
  public:
    explicit TextLines(std::string_view text) : text_(text) {
        starts_.push_back(text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0);
        for (std::size_t i = starts_.front(); i < text.size(); ++i)
            if (text[i] == '\n')
                starts_.push_back(i + 1);
        auto first_break = text.find('\n');
        newline_ = first_break != std::string_view::npos && first_break > 0 &&
                           text[first_break - 1] == '\r'
                       ? "\r\n"
                       : "\n";
    }

    std::size_t count() const { return starts_.size(); }
    std::size_t start(std::size_t line) const { return starts_[line]; }
    std::size_t next(std::size_t line) const {
        return line + 1 < starts_.size() ? starts_[line + 1] : text_.size();
    }
    // Where the line's "\n" or "\r\n" begins (or the end of the text).
    std::size_t contentEnd(std::size_t line) const {
        std::size_t end = next(line);
        if (end > start(line) && text_[end - 1] == '\n') {
            --end;
            if (end > start(line) && text_[end - 1] == '\r')
                --end;
        }
        return end;
    }
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

    std::size_t offsetOf(const toml::source_position& where) const {
        std::size_t offset = start(lineOf(where));
        for (std::size_t column = 1; column < where.column && offset < text_.size(); ++column)
            offset += codePointLength(static_cast<unsigned char>(text_[offset]));
        return std::min(offset, text_.size());
    }

    const std::string& newline() const { return newline_; }

  private:
    static std::size_t codePointLength(unsigned char lead) {
        if (lead >= 0xF0)
            return 4;
        if (lead >= 0xE0)
            return 3;
        if (lead >= 0xC0)
            return 2;
        return 1;
    }

    std::string_view text_;
    std::vector<std::size_t> starts_;
    std::string newline_;
};

// ---- Table headers ----------------------------------------------------------------------

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

// The key path of a `[a.b.c]` or `[[a.b]]` header line, or nothing when the line is not one
// this reader understands.
std::optional<Path> parseHeaderPath(std::string_view line) {
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
    Path path;
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

// ---- Rendering the parts that are written anew ------------------------------------------

bool isBareKey(std::string_view key) {
    if (key.empty())
        return false;
    for (char c : key) {
        bool bare = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        if (!bare)
            return false;
    }
    return true;
}

// Service names may hold '.', which a bare key would split into two tables.
std::string renderKey(std::string_view key) {
    return isBareKey(key) ? std::string(key) : tomlQuote(key);
}

std::string renderTablePath(const Path& path) {
    std::string out;
    for (const auto& segment : path)
        out += (out.empty() ? "" : ".") + renderKey(segment);
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

// A listen setting: one address as a string, several as an array (as renderConfig does).
std::string tomlValue(const std::vector<std::string>& addresses) {
    if (addresses.size() == 1)
        return tomlQuote(addresses.front());
    std::string out = "[";
    for (std::size_t i = 0; i < addresses.size(); ++i)
        out += (i ? ", " : "") + tomlQuote(addresses[i]);
    return out + "]";
}

// One element as renderUpstreamsArray writes it, so that old and new elements look alike.
std::string renderUpstream(const UpstreamConfig& upstream) {
    std::string array = renderUpstreamsArray({upstream});
    return array.substr(1, array.size() - 2);
}

// A key and its new value, already rendered as TOML.
struct KeyValue {
    std::string key;
    std::string value;
};

template <typename T>
void addIfChanged(std::vector<KeyValue>& changes, const char* key, const T& before,
                  const T& after) {
    if (!(before == after))
        changes.push_back({key, tomlValue(after)});
}

std::vector<KeyValue> proxyChanges(const ProxySettings& before, const ProxySettings& after) {
    std::vector<KeyValue> changes;
    addIfChanged(changes, "listen", before.listen, after.listen);
    addIfChanged(changes, "connect_timeout_ms", before.connect_timeout_ms,
                 after.connect_timeout_ms);
    addIfChanged(changes, "upstream_timeout_ms", before.upstream_timeout_ms,
                 after.upstream_timeout_ms);
    addIfChanged(changes, "client_timeout_ms", before.client_timeout_ms, after.client_timeout_ms);
    addIfChanged(changes, "max_request_body_bytes", before.max_request_body_bytes,
                 after.max_request_body_bytes);
    addIfChanged(changes, "max_header_bytes", before.max_header_bytes, after.max_header_bytes);
    addIfChanged(changes, "retries", before.retries, after.retries);
    addIfChanged(changes, "max_fails", before.max_fails, after.max_fails);
    addIfChanged(changes, "fail_timeout_ms", before.fail_timeout_ms, after.fail_timeout_ms);
    addIfChanged(changes, "shutdown_timeout_ms", before.shutdown_timeout_ms,
                 after.shutdown_timeout_ms);
    addIfChanged(changes, "max_connections", before.max_connections, after.max_connections);
    addIfChanged(changes, "access_log", before.access_log, after.access_log);
    return changes;
}

std::vector<KeyValue> adminChanges(const AdminSettings& before, const AdminSettings& after) {
    std::vector<KeyValue> changes;
    addIfChanged(changes, "listen", before.listen, after.listen);
    addIfChanged(changes, "token", before.token, after.token);
    return changes;
}

// The scalar keys of a service; upstreams and health_check are edited apart.
std::vector<KeyValue> serviceChanges(const ServiceConfig& before, const ServiceConfig& after) {
    std::vector<KeyValue> changes;
    addIfChanged(changes, "route", before.route, after.route);
    addIfChanged(changes, "host", before.host, after.host);
    addIfChanged(changes, "strategy", before.strategy, after.strategy);
    addIfChanged(changes, "strip_prefix", before.strip_prefix, after.strip_prefix);
    addIfChanged(changes, "hash_key", before.hash_key, after.hash_key);
    return changes;
}

// The keys a new service is written with: those renderConfig writes.
std::vector<KeyValue> newServiceKeys(const ServiceConfig& service) {
    ServiceConfig defaults;
    defaults.route = service.route;
    std::vector<KeyValue> keys{{"route", tomlValue(service.route)}};  // always written
    for (auto& change : serviceChanges(defaults, service))
        keys.push_back(std::move(change));
    keys.push_back({"upstreams", renderUpstreamsArray(service.upstreams)});
    return keys;
}

std::vector<KeyValue> healthCheckChanges(const HealthCheckConfig& before,
                                         const HealthCheckConfig& after) {
    std::vector<KeyValue> changes;
    addIfChanged(changes, "path", before.path, after.path);
    addIfChanged(changes, "interval_ms", before.interval_ms, after.interval_ms);
    addIfChanged(changes, "timeout_ms", before.timeout_ms, after.timeout_ms);
    addIfChanged(changes, "rise", before.rise, after.rise);
    addIfChanged(changes, "fall", before.fall, after.fall);
    return changes;
}

// Every key of a health check, as renderConfig writes a new one.
std::vector<KeyValue> healthCheckKeys(const HealthCheckConfig& check) {
    return {{"path", tomlValue(check.path)},
            {"interval_ms", tomlValue(check.interval_ms)},
            {"timeout_ms", tomlValue(check.timeout_ms)},
            {"rise", tomlValue(check.rise)},
            {"fall", tomlValue(check.fall)}};
}

std::string renderInlineTable(const std::vector<KeyValue>& keys) {
    std::string out = "{";
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += (i ? ", " : " ") + renderKey(keys[i].key) + " = " + keys[i].value;
    return out + (keys.empty() ? "}" : " }");
}

std::string renderServiceInline(const ServiceConfig& service) {
    auto keys = newServiceKeys(service);
    if (service.health_check)
        keys.push_back({"health_check", renderInlineTable(healthCheckKeys(*service.health_check))});
    return renderInlineTable(keys);
}

std::string renderSection(const Path& path, const std::vector<KeyValue>& keys,
                          const std::string& newline) {
    std::string out = "[" + renderTablePath(path) + "]" + newline;
    for (const auto& [key, value] : keys)
        out += renderKey(key) + " = " + value + newline;
    return out;
}

// ---- Edits of the text ------------------------------------------------------------------

// Replaces text[begin, end) (an insertion when begin == end).
struct TextEdit {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
};

// Applies the edits, which must not overlap; insertions at one offset keep their order.
std::optional<std::string> applyEdits(std::string_view text, std::vector<TextEdit> edits) {
    std::stable_sort(edits.begin(), edits.end(), [](const TextEdit& a, const TextEdit& b) {
        return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
    });
    std::string out;
    std::size_t copied = 0;
    for (const auto& edit : edits) {
        if (edit.begin < copied || edit.end < edit.begin || edit.end > text.size())
            return std::nullopt;
        out.append(text.substr(copied, edit.begin - copied));
        out += edit.replacement;
        copied = edit.end;
    }
    out.append(text.substr(copied));
    return out;
}

// An array of [[header]] tables rather than a value.
bool holdsHeaderTables(const toml::array& array) {
    return std::any_of(array.begin(), array.end(), [](const toml::node& element) {
        return element.is_table() && !element.as_table()->is_inline();
    });
}

// A TOML table as the file writes it: under its own [header], as an inline { ... } value, or
// scattered (dotted keys, or implied by a deeper header), where keys can be changed but not
// added.
struct TableSite {
    enum class Form { Header, Inline, Scattered };
    const toml::table* table = nullptr;
    Path path;
    Form form = Form::Scattered;
    std::size_t header_line = 0;  // Form::Header only
};

// One line of an upstreams array written one element per line, split around its comma so that
// the comma can be added or dropped when the element stops or starts being the last.
struct ArrayLine {
    bool is_element = false;
    std::string head;          // indentation and element; the whole line when not an element
    std::string before_comma;  // blanks between the element and its comma
    std::string after_comma;   // blanks and a comment after the comma
    std::string terminator;
    bool comma = false;

    std::string text() const {
        return head + before_comma + (comma ? "," : "") + after_comma + terminator;
    }
};

// Where an array written one element per line stands: nothing after '[' on its line but a
// comment, each element alone on its line, ']' first on its line.
struct ArrayLayout {
    std::size_t open_line = 0;
    std::size_t close_line = 0;
    std::map<std::size_t, std::size_t> element_at_line;  // line -> element index
    std::vector<std::size_t> element_lines;
    bool trailing_comma = true;  // the last element is followed by a comma
};

// Plans the edits that turn the parsed text into text meaning the target configuration.
class ConfigTextEditor {
  public:
    ConfigTextEditor(std::string_view text, const toml::table& root)
        : text_(text), lines_(text), root_(root), continuation_(lines_.count(), false),
          deleted_(lines_.count(), false) {
        markMultiLineValues(root);
        findHeaders();
    }

    // False when some change cannot be made in place.
    bool edit(const Config& before, const Config& after) {
        return editSettings({"proxy"}, proxyChanges(before.proxy, after.proxy)) &&
               editSettings({"admin"}, adminChanges(before.admin, after.admin)) &&
               editServices(before, after);
    }

    std::optional<std::string> result() {
        for (const auto& [table, keys] : inline_removals_)
            cutInlinePairs(*table, keys);
        inline_removals_.clear();
        return applyEdits(text_, edits_);
    }

  private:
    struct HeaderLine {
        std::size_t line;
        std::optional<Path> path;  // nothing when the header could not be read
    };

    // ---- What the text looks like ----

    // Lines inside a value that spans lines (an array, a multi-line string) are neither
    // headers nor comment lines of their own.
    void markMultiLineValues(const toml::node& node) {
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

    void findHeaders() {
        for (std::size_t line = 0; line < lines_.count(); ++line) {
            if (continuation_[line] || !trimmed(lines_.content(line)).starts_with('['))
                continue;
            headers_.push_back({line, parseHeaderPath(lines_.content(line))});
        }
    }

    const HeaderLine* headerAt(std::size_t line) const {
        for (const auto& header : headers_)
            if (header.line == line)
                return &header;
        return nullptr;
    }

    // The line after the last line of the section that `header_line` starts.
    std::size_t sectionEnd(std::size_t header_line) const {
        for (const auto& header : headers_)
            if (header.line > header_line)
                return header.line;
        return lines_.count();
    }

    // The section's last line that holds a key or part of a value (not a blank line or a
    // comment line, which may introduce the next section); the header line when none does.
    std::size_t lastContentLine(std::size_t header_line) const {
        for (std::size_t line = sectionEnd(header_line); line-- > header_line + 1;) {
            auto content = lines_.content(line);
            if (continuation_[line] || !(isBlank(content) || isCommentLine(content)))
                return line;
        }
        return header_line;
    }

    bool startsAtHeader(const toml::node& node) const {
        auto offset = lines_.offsetOf(node.source().begin);
        return offset < text_.size() && text_[offset] == '[';
    }

    TableSite siteOf(const toml::table& table, Path path) const {
        TableSite site{&table, std::move(path)};
        if (table.is_inline()) {
            site.form = TableSite::Form::Inline;
        } else if (const auto* header = headerAt(lines_.lineOf(table.source().begin));
                   header && startsAtHeader(table) && header->path == site.path) {
            site.form = TableSite::Form::Header;
            site.header_line = header->line;
        }
        return site;
    }

    const toml::table* tableAt(const Path& path) const {
        const toml::table* table = &root_;
        for (const auto& key : path) {
            const toml::node* node = table->get(key);
            table = node ? node->as_table() : nullptr;
            if (!table)
                return nullptr;
        }
        return table;
    }

    std::string indentOfKeys(const TableSite& site) const {
        std::optional<std::size_t> first_line;
        for (auto&& [key, node] : *site.table) {
            auto* array = node.as_array();
            if ((node.is_table() && startsAtHeader(node)) || (array && holdsHeaderTables(*array)))
                continue;
            auto line = lines_.lineOf(key.source().begin);
            if (!first_line || line < *first_line)
                first_line = line;
        }
        return first_line ? std::string(leadingWhitespace(lines_.content(*first_line))) : "";
    }

    // ---- Primitive edits ----

    void replaceSpan(const toml::source_region& where, std::string replacement) {
        edits_.push_back(
            {lines_.offsetOf(where.begin), lines_.offsetOf(where.end), std::move(replacement)});
    }

    // `block` is whole lines, each ending with the file's newline.
    void insertAfterLine(std::size_t line, const std::string& block) {
        std::string prefix = lines_.hasTerminator(line) ? "" : lines_.newline();
        edits_.push_back({lines_.next(line), lines_.next(line), prefix + block});
    }

    // Removes lines [first, last], except lines that hold only a comment.
    void deleteLines(std::size_t first, std::size_t last) {
        for (std::size_t line = first; line <= last && line < lines_.count(); ++line)
            if (!isCommentLine(lines_.content(line)))
                deleteLine(line);
    }

    // Removes a section but its comment lines. So that no double gap is left, the blank lines
    // above it go too when blank lines below it already set apart what follows, and those below
    // go when it opened the file.
    void cutSection(std::size_t header_line) {
        std::size_t last = lastContentLine(header_line);
        deleteLines(header_line, last);
        if (header_line == 0) {
            for (std::size_t line = last + 1;
                 line < lines_.count() && lines_.hasTerminator(line) && isBlankLine(line); ++line)
                deleteLine(line);
        } else if (last + 1 >= lines_.count() || isBlankLine(last + 1)) {
            for (std::size_t line = header_line; line-- > 0 && isBlankLine(line);)
                deleteLine(line);
        }
    }

    bool isBlankLine(std::size_t line) const {
        return !continuation_[line] && isBlank(lines_.content(line));
    }

    // Two cuts may both claim a blank line between them; it is deleted once.
    void deleteLine(std::size_t line) {
        if (deleted_[line])
            return;
        deleted_[line] = true;
        edits_.push_back({lines_.start(line), lines_.next(line), ""});
    }

    void appendSection(const std::string& block) {
        std::string prefix;
        if (appended_) {
            prefix = lines_.newline();
        } else {
            bool ends_with_newline = text_.ends_with('\n');
            if (!ends_with_newline)
                prefix += lines_.newline();
            bool ends_with_blank_line = text_.ends_with("\n\n") || text_.ends_with("\n\r\n");
            bool has_text = text_.find_first_not_of(" \t\r\n") != std::string_view::npos;
            if (has_text && !ends_with_blank_line)
                prefix += lines_.newline();
        }
        appended_ = true;
        edits_.push_back({text_.size(), text_.size(), prefix + block});
    }

    // ---- Keys of a table ----

    bool setValue(const TableSite& site, const KeyValue& change) {
        const toml::node* node = site.table->get(change.key);
        if (!node)
            return insertKey(site, change);
        if (auto* table = node->as_table(); table && !table->is_inline())
            return false;
        // Replacing an array across lines would take the comments inside it along.
        if (auto* array = node->as_array(); array && holdsComments(*array))
            return false;
        replaceSpan(node->source(), change.value);
        return true;
    }

    bool setValues(const TableSite& site, const std::vector<KeyValue>& changes) {
        for (const auto& change : changes)
            if (!setValue(site, change))
                return false;
        return true;
    }

    bool insertKey(const TableSite& site, const KeyValue& change) {
        switch (site.form) {
        case TableSite::Form::Header:
            insertAfterLine(lastContentLine(site.header_line), indentOfKeys(site) +
                                                                   renderKey(change.key) + " = " +
                                                                   change.value + lines_.newline());
            return true;
        case TableSite::Form::Inline:
            return insertIntoInlineTable(*site.table, change);
        case TableSite::Form::Scattered:
            return insertDottedKey(*site.table, change);
        }
        return false;
    }

    // A table written through dotted keys (`apiD.route = "/d"`) takes a new key as one more line
    // with the same dotted prefix, after its last key-value pair. A table implied by a deeper
    // header has no such line to copy.
    bool insertDottedKey(const toml::table& table, const KeyValue& change) {
        const toml::key* last_key = nullptr;
        std::size_t last_line = 0;
        for (auto&& [key, node] : table) {
            if (node.is_table() && !node.as_table()->is_inline())
                continue;
            std::size_t line = lines_.lineOf(node.source().end);
            if (!last_key || line > last_line) {
                last_key = &key;
                last_line = line;
            }
        }
        if (!last_key)
            return false;
        std::size_t key_line = lines_.lineOf(last_key->source().begin);
        std::size_t key_begin = lines_.offsetOf(last_key->source().begin);
        auto prefix = text_.substr(lines_.start(key_line), key_begin - lines_.start(key_line));
        if (!trimmed(prefix).ends_with('.'))
            return false;
        insertAfterLine(last_line, std::string(prefix) + renderKey(change.key) + " = " +
                                       change.value + lines_.newline());
        return true;
    }

    bool insertIntoInlineTable(const toml::table& table, const KeyValue& change) {
        std::string pair = renderKey(change.key) + " = " + change.value;
        if (table.empty()) {
            replaceSpan(table.source(), "{ " + pair + " }");
            return true;
        }
        std::size_t close = lines_.offsetOf(table.source().end);
        if (close == 0 || text_[close - 1] != '}')
            return false;
        std::size_t after_last_pair = close - 1;
        while (after_last_pair > 0 && isBlankChar(text_[after_last_pair - 1]))
            --after_last_pair;
        edits_.push_back({after_last_pair, after_last_pair, ", " + pair});
        return true;
    }

    // Removes `key` of a table that is not inline: the sections of its headers and the lines of
    // its key-value pairs (keeping their comment lines).
    bool removeKey(const toml::table& parent, const Path& parent_path, std::string_view key) {
        auto found = parent.find(key);
        if (found == parent.end())
            return false;
        if (parent.is_inline())
            return removeFromInlineTable(parent, key);
        Path path = childPath(parent_path, key);
        for (const auto& header : headers_)
            if (header.path && startsWith(*header.path, path))
                cutSection(header.line);
        deleteKeyValueLines(found->first, found->second);
        return true;
    }

    // Removals from one inline table are planned together (see cutInlinePairs), because the
    // comma that goes with a pair depends on which of its neighbours stay.
    bool removeFromInlineTable(const toml::table& table, std::string_view key) {
        for (auto&& [pair_key, node] : table)
            if (node.is_table() && !node.as_table()->is_inline())
                return false;  // `{ a.b = 1 }`: not worth the trouble
        inline_removals_[&table].emplace_back(key);
        return true;
    }

    // Cuts the removed `key = value` pairs out of `{ ... }`: a run of them after a pair that
    // stays goes with the comma before it, a run at the start with the comma after it.
    void cutInlinePairs(const toml::table& table, const std::vector<std::string>& keys) {
        struct Pair {
            std::size_t key_begin, value_end;
            bool removed;
        };
        std::vector<Pair> pairs;
        for (auto&& [key, node] : table)
            pairs.push_back({lines_.offsetOf(key.source().begin),
                             lines_.offsetOf(node.source().end),
                             std::find(keys.begin(), keys.end(), key.str()) != keys.end()});
        std::sort(pairs.begin(), pairs.end(),
                  [](const Pair& a, const Pair& b) { return a.key_begin < b.key_begin; });
        if (std::all_of(pairs.begin(), pairs.end(), [](const Pair& p) { return p.removed; })) {
            replaceSpan(table.source(), "{}");
            return;
        }
        for (std::size_t run = 0; run < pairs.size();) {
            if (!pairs[run].removed) {
                ++run;
                continue;
            }
            std::size_t end = run;
            while (end < pairs.size() && pairs[end].removed)
                ++end;
            if (run > 0)
                edits_.push_back({pairs[run - 1].value_end, pairs[end - 1].value_end, ""});
            else
                edits_.push_back({pairs[run].key_begin, pairs[end].key_begin, ""});
            run = end;
        }
    }

    // Deletes the lines of the key-value pairs written for `node` outside of headers.
    void deleteKeyValueLines(const toml::key& key, const toml::node& node) {
        if (auto* table = node.as_table(); table && !table->is_inline()) {
            if (startsAtHeader(*table))
                return;  // under its own headers, cut with their sections
            for (auto&& [child_key, child] : *table)
                deleteKeyValueLines(child_key, child);
            return;
        }
        if (auto* array = node.as_array(); array && holdsHeaderTables(*array))
            return;
        // Outside inline tables a key-value pair is alone on its lines.
        deleteLines(lines_.lineOf(key.source().begin), lines_.lineOf(node.source().end));
    }

    // ---- [proxy] and [admin] ----

    bool editSettings(const Path& path, const std::vector<KeyValue>& changes) {
        if (changes.empty())
            return true;
        const toml::node* node = root_.get(path.front());
        if (!node) {
            appendSection(renderSection(path, changes, lines_.newline()));
            return true;
        }
        auto* table = node->as_table();
        return table && setValues(siteOf(*table, path), changes);
    }

    // ---- Services ----

    bool editServices(const Config& before, const Config& after) {
        for (const auto& service : before.services)
            if (!after.findService(service.name) && !removeService(service.name))
                return false;
        for (const auto& service : after.services) {
            const ServiceConfig* old = before.findService(service.name);
            if (!old) {
                if (!addService(service))
                    return false;
            } else if (!(*old == service) && !editService(*old, service)) {
                return false;
            }
        }
        return true;
    }

    bool removeService(const std::string& name) {
        const toml::table* services = tableAt({"services"});
        return services && removeKey(*services, {"services"}, name);
    }

    bool addService(const ServiceConfig& service) {
        const toml::table* services = tableAt({"services"});
        if (services && services->is_inline())
            return insertKey(siteOf(*services, {"services"}),
                             {service.name, renderServiceInline(service)});
        Path path{"services", service.name};
        std::string block = renderSection(path, newServiceKeys(service), lines_.newline());
        if (service.health_check)
            block += lines_.newline() + renderSection(childPath(path, "health_check"),
                                                      healthCheckKeys(*service.health_check),
                                                      lines_.newline());
        appendSection(block);
        return true;
    }

    bool editService(const ServiceConfig& before, const ServiceConfig& after) {
        Path path{"services", after.name};
        const toml::table* table = tableAt(path);
        if (!table)
            return false;
        TableSite site = siteOf(*table, path);
        if (!setValues(site, serviceChanges(before, after)))
            return false;
        if (before.upstreams != after.upstreams &&
            !editUpstreams(site, before.upstreams, after.upstreams))
            return false;
        return editHealthCheck(site, before.health_check, after.health_check);
    }

    bool editHealthCheck(const TableSite& service, const std::optional<HealthCheckConfig>& before,
                         const std::optional<HealthCheckConfig>& after) {
        if (before == after)
            return true;
        if (!after)
            return removeKey(*service.table, service.path, "health_check");
        if (!before)
            return addHealthCheck(service, *after);
        Path path = childPath(service.path, "health_check");
        const toml::table* table = tableAt(path);
        return table && setValues(siteOf(*table, path), healthCheckChanges(*before, *after));
    }

    bool addHealthCheck(const TableSite& service, const HealthCheckConfig& check) {
        if (service.form != TableSite::Form::Header)
            return insertKey(service, {"health_check", renderInlineTable(healthCheckKeys(check))});
        std::string block =
            lines_.newline() + renderSection(childPath(service.path, "health_check"),
                                             healthCheckKeys(check), lines_.newline());
        insertAfterLine(lastContentLine(service.header_line), block);
        return true;
    }

    // ---- Upstreams ----

    bool editUpstreams(const TableSite& service, const std::vector<UpstreamConfig>& before,
                       const std::vector<UpstreamConfig>& after) {
        const toml::node* node = service.table->get("upstreams");
        if (!node)
            return insertKey(service, {"upstreams", renderUpstreamsArray(after)});
        auto* array = node->as_array();
        // The parsed upstreams must match the array element by element.
        if (!array || holdsHeaderTables(*array) || array->size() != before.size())
            return false;
        const auto& where = array->source();
        if (where.begin.line == where.end.line) {
            replaceSpan(where, renderUpstreamsArray(after));
            return true;
        }
        if (auto layout = oneElementPerLine(*array)) {
            edits_.push_back(rewriteArrayLines(*layout, *array, before, after));
            return true;
        }
        // Written across lines some other way: a single line loses nothing but line breaks,
        // unless there are comments in between.
        if (holdsComments(*array))
            return false;
        replaceSpan(where, renderUpstreamsArray(after));
        return true;
    }

    bool holdsComments(const toml::array& array) const {
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

    std::optional<ArrayLayout> oneElementPerLine(const toml::array& array) const {
        ArrayLayout layout;
        std::size_t open = lines_.offsetOf(array.source().begin);
        std::size_t close = lines_.offsetOf(array.source().end);
        if (open >= text_.size() || text_[open] != '[' || close == 0 || text_[close - 1] != ']')
            return std::nullopt;
        --close;
        layout.open_line = lines_.lineOf(array.source().begin);
        layout.close_line = lines_.lineOf(array.source().end);
        auto after_open =
            trimmed(text_.substr(open + 1, lines_.contentEnd(layout.open_line) - open - 1));
        auto before_close =
            text_.substr(lines_.start(layout.close_line), close - lines_.start(layout.close_line));
        if (layout.open_line >= layout.close_line ||
            !(after_open.empty() || after_open.starts_with('#')) || !isBlank(before_close))
            return std::nullopt;
        for (std::size_t index = 0; index < array.size(); ++index) {
            auto line = elementLine(*array.get(index), layout);
            if (!line)
                return std::nullopt;
            layout.element_at_line[*line] = index;
            layout.element_lines.push_back(*line);
        }
        for (std::size_t line = layout.open_line + 1; line < layout.close_line; ++line) {
            auto content = lines_.content(line);
            if (!layout.element_at_line.count(line) && !isBlank(content) && !isCommentLine(content))
                return std::nullopt;
        }
        if (!layout.element_lines.empty())
            layout.trailing_comma = splitElementLine(array.back()).comma;
        return layout;
    }

    // The line of an element that stands alone on its line, after the previous one.
    std::optional<std::size_t> elementLine(const toml::node& element,
                                           const ArrayLayout& layout) const {
        std::size_t line = lines_.lineOf(element.source().begin);
        std::size_t begin = lines_.offsetOf(element.source().begin);
        if (lines_.lineOf(element.source().end) != line || line <= layout.open_line ||
            line >= layout.close_line ||
            (!layout.element_lines.empty() && line <= layout.element_lines.back()) ||
            !isBlank(text_.substr(lines_.start(line), begin - lines_.start(line))))
            return std::nullopt;
        ArrayLine split = splitElementLine(element);
        auto rest = trimmed(split.after_comma);
        if (!rest.empty() && !rest.starts_with('#'))
            return std::nullopt;
        return line;
    }

    ArrayLine splitElementLine(const toml::node& element) const {
        std::size_t line = lines_.lineOf(element.source().begin);
        std::size_t end = lines_.offsetOf(element.source().end);
        ArrayLine split;
        split.is_element = true;
        split.head = std::string(text_.substr(lines_.start(line), end - lines_.start(line)));
        split.terminator = std::string(lines_.terminator(line));
        std::string_view rest = text_.substr(end, lines_.contentEnd(line) - end);
        std::size_t comma = 0;
        while (comma < rest.size() && isBlankChar(rest[comma]))
            ++comma;
        split.comma = comma < rest.size() && rest[comma] == ',';
        if (split.comma) {
            split.before_comma = std::string(rest.substr(0, comma));
            split.after_comma = std::string(rest.substr(comma + 1));
        } else {
            split.after_comma = std::string(rest);
        }
        return split;
    }

    // The new lines between '[' and ']'. Comment and blank lines stay where they are. The lines
    // of the upstreams that stay are kept whole, their element re-rendered only when its weight
    // changed; they fill the places of the old element lines in the order of `after`, so an
    // upstream moves with its own end-of-line comment. Lines of removed upstreams go; a new
    // upstream follows the one before it in `after`.
    TextEdit rewriteArrayLines(const ArrayLayout& layout, const toml::array& array,
                               const std::vector<UpstreamConfig>& before,
                               const std::vector<UpstreamConfig>& after) const {
        auto origin = originsOf(after, before);
        std::vector<std::size_t> kept;  // indices into `after`, in order
        for (std::size_t index = 0; index < after.size(); ++index)
            if (origin[index])
                kept.push_back(index);
        std::string indent = newElementIndent(layout);
        std::vector<ArrayLine> lines;
        std::size_t next_target = 0;
        auto addNewUpTo = [&](std::size_t end) {
            for (; next_target < end; ++next_target)
                lines.push_back(newElementLine(indent, after[next_target]));
        };
        std::size_t slot = 0;
        for (std::size_t line = layout.open_line + 1; line < layout.close_line; ++line) {
            auto element = layout.element_at_line.find(line);
            if (element == layout.element_at_line.end()) {
                lines.push_back({false, std::string(lines_.content(line)), "", "",
                                 std::string(lines_.terminator(line)), false});
                continue;
            }
            if (!isKept(before[element->second], after))
                continue;
            std::size_t target = kept[slot++];
            std::size_t source = *origin[target];
            addNewUpTo(target);
            lines.push_back(keptElementLine(*array.get(source), before[source], after[target]));
            next_target = target + 1;
            addNewUpTo(slot < kept.size() ? kept[slot] : after.size());
        }
        addNewUpTo(after.size());
        setCommas(lines, layout.trailing_comma);
        std::string interior;
        for (const auto& line : lines)
            interior += line.text();
        return TextEdit{lines_.start(layout.open_line + 1), lines_.start(layout.close_line),
                        std::move(interior)};
    }

    static bool isKept(const UpstreamConfig& upstream, const std::vector<UpstreamConfig>& after) {
        return std::any_of(after.begin(), after.end(),
                           [&](const UpstreamConfig& u) { return u.address == upstream.address; });
    }

    // For each upstream of `after`, the index of the one in `before` with its address.
    static std::vector<std::optional<std::size_t>>
    originsOf(const std::vector<UpstreamConfig>& after, const std::vector<UpstreamConfig>& before) {
        std::vector<std::optional<std::size_t>> origins;
        for (const auto& upstream : after) {
            auto found = std::find_if(before.begin(), before.end(), [&](const UpstreamConfig& u) {
                return u.address == upstream.address;
            });
            if (found == before.end())
                origins.emplace_back();
            else
                origins.emplace_back(static_cast<std::size_t>(found - before.begin()));
        }
        return origins;
    }

    std::string newElementIndent(const ArrayLayout& layout) const {
        if (!layout.element_lines.empty())
            return std::string(leadingWhitespace(lines_.content(layout.element_lines.front())));
        return std::string(leadingWhitespace(lines_.content(layout.close_line))) + "    ";
    }

    ArrayLine newElementLine(const std::string& indent, const UpstreamConfig& upstream) const {
        ArrayLine line;
        line.is_element = true;
        line.head = indent + renderUpstream(upstream);
        line.terminator = lines_.newline();
        return line;
    }

    ArrayLine keptElementLine(const toml::node& element, const UpstreamConfig& before,
                              const UpstreamConfig& after) const {
        ArrayLine line = splitElementLine(element);
        if (before.weight != after.weight) {
            std::size_t start = lines_.start(lines_.lineOf(element.source().begin));
            std::size_t begin = lines_.offsetOf(element.source().begin);
            line.head = std::string(text_.substr(start, begin - start)) + renderUpstream(after);
        }
        return line;
    }

    // Every element but the last is followed by a comma; the last keeps the file's habit.
    static void setCommas(std::vector<ArrayLine>& lines, bool trailing_comma) {
        auto last = std::find_if(lines.rbegin(), lines.rend(),
                                 [](const ArrayLine& line) { return line.is_element; });
        for (auto& line : lines)
            if (line.is_element)
                line.comma = true;
        if (last != lines.rend())
            last->comma = trailing_comma;
    }

    std::string_view text_;
    TextLines lines_;
    const toml::table& root_;
    std::vector<bool> continuation_;
    std::vector<bool> deleted_;
    std::vector<HeaderLine> headers_;
    std::vector<TextEdit> edits_;
    std::map<const toml::table*, std::vector<std::string>> inline_removals_;
    bool appended_ = false;
};

// The parser returns services sorted by name, so their order carries no meaning.
Config withServicesByName(Config config) {
    std::sort(config.services.begin(), config.services.end(),
              [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
    return config;
}

bool sameConfig(const Config& a, const Config& b) {
    return withServicesByName(a) == withServicesByName(b);
}

bool means(std::string_view text, const Config& config) {
    auto parsed = parseConfigText(text, "config");
    return parsed.config && sameConfig(*parsed.config, config);
}

std::optional<std::string> editInPlace(std::string_view text, const Config& original,
                                       const Config& target) {
    // The edits are planned from where toml++ says things are, and the parts left alone must
    // mean what `original` says.
    if (!means(text, original))
        return std::nullopt;
    toml::parse_result parsed = toml::parse(text);
    if (!parsed)
        return std::nullopt;
    ConfigTextEditor editor(text, parsed.table());
    if (!editor.edit(original, target))
        return std::nullopt;
    return editor.result();
}

} // namespace

ConfigEditResult editConfigText(std::string_view original_text, const Config& original,
                                const Config& target) {
    if (!original_text.empty()) {
        auto edited = editInPlace(original_text, original, target);
        if (edited && means(*edited, target))
            return {std::move(*edited), true};
    }
    return {renderConfig(target), false};
}

} // namespace switchboard
