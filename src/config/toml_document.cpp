// SPDX-License-Identifier: Apache-2.0
// The schema-free half of the in-place editor: edits of a TOML document's text, planned from
// where toml++ says each key, value and table is.
#include "toml_document.h"

#include <algorithm>
#include <utility>

namespace switchboard {

namespace {

TomlPath childPath(TomlPath path, std::string_view key) {
    path.emplace_back(key);
    return path;
}

bool startsWith(const TomlPath& path, const TomlPath& prefix) {
    return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

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

}  // namespace

TomlDocument::TomlDocument(std::string_view text, const toml::table& root)
    : text_(text), layout_(text, root), lines_(layout_.lines()), root_(root),
      deleted_(lines_.count(), false) {}

TomlTable TomlDocument::siteOf(const toml::table& table, TomlPath path) const {
    TomlTable site{&table, std::move(path)};
    if (table.is_inline()) {
        site.form = TomlTable::Form::Inline;
    } else if (const auto* header = layout_.headerAt(lines_.lineOf(table.source().begin));
               header && layout_.startsAtHeader(table) && header->path == site.path) {
        site.form = TomlTable::Form::Header;
        site.header_line = header->line;
    }
    return site;
}

std::optional<TomlTable> TomlDocument::table(const TomlPath& path) const {
    const toml::table* table = &root_;
    for (const auto& key : path) {
        const toml::node* node = table->get(key);
        table = node ? node->as_table() : nullptr;
        if (!table)
            return std::nullopt;
    }
    return siteOf(*table, path);
}

void TomlDocument::replaceSpan(const toml::source_region& where, std::string replacement) {
    edits_.push_back(
        {lines_.offsetOf(where.begin), lines_.offsetOf(where.end), std::move(replacement)});
}

void TomlDocument::insertAfterLine(std::size_t line, const std::string& block) {
    std::string prefix = lines_.hasTerminator(line) ? "" : lines_.newline();
    edits_.push_back({lines_.next(line), lines_.next(line), prefix + block});
}

// Removes lines [first, last], except lines that hold only a comment.
void TomlDocument::deleteLines(std::size_t first, std::size_t last) {
    for (std::size_t line = first; line <= last && line < lines_.count(); ++line)
        if (!isCommentLine(lines_.content(line)))
            deleteLine(line);
}

// Removes a section but its comment lines. So that no double gap is left, the blank lines
// above it go too when blank lines below it already set apart what follows, and those below
// go when it opened the file.
void TomlDocument::cutSection(std::size_t header_line) {
    std::size_t last = layout_.lastContentLine(header_line);
    deleteLines(header_line, last);
    if (header_line == 0) {
        for (std::size_t line = last + 1;
             line < lines_.count() && lines_.hasTerminator(line) && layout_.isBlankLine(line);
             ++line)
            deleteLine(line);
    } else if (last + 1 >= lines_.count() || layout_.isBlankLine(last + 1)) {
        for (std::size_t line = header_line; line-- > 0 && layout_.isBlankLine(line);)
            deleteLine(line);
    }
}

// Two cuts may both claim a blank line between them; it is deleted once.
void TomlDocument::deleteLine(std::size_t line) {
    if (deleted_[line])
        return;
    deleted_[line] = true;
    edits_.push_back({lines_.start(line), lines_.next(line), ""});
}

void TomlDocument::appendSection(const std::string& block) {
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

bool TomlDocument::setValue(const TomlTable& site, const TomlKeyValue& change) {
    const toml::node* node = site.table->get(change.key);
    if (!node)
        return insertKey(site, change);
    if (auto* table = node->as_table(); table && !table->is_inline())
        return false;
    // Replacing an array across lines would take the comments inside it along.
    if (auto* array = node->as_array(); array && layout_.holdsComments(*array))
        return false;
    replaceSpan(node->source(), change.value);
    return true;
}

bool TomlDocument::setValues(const TomlTable& site, const std::vector<TomlKeyValue>& changes) {
    for (const auto& change : changes)
        if (!setValue(site, change))
            return false;
    return true;
}

bool TomlDocument::insertKey(const TomlTable& site, const TomlKeyValue& change) {
    switch (site.form) {
    case TomlTable::Form::Header:
        insertAfterLine(layout_.lastContentLine(site.header_line),
                        layout_.indentOfKeys(*site.table) + tomlKey(change.key) + " = " +
                            change.value + lines_.newline());
        return true;
    case TomlTable::Form::Inline:
        return insertIntoInlineTable(*site.table, change);
    case TomlTable::Form::Scattered:
        return insertDottedKey(*site.table, change);
    }
    return false;
}

// A table written through dotted keys (`apiD.route = "/d"`) takes a new key as one more line
// with the same dotted prefix, after its last key-value pair. A table implied by a deeper
// header has no such line to copy.
bool TomlDocument::insertDottedKey(const toml::table& table, const TomlKeyValue& change) {
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
    insertAfterLine(last_line, std::string(prefix) + tomlKey(change.key) + " = " + change.value +
                                   lines_.newline());
    return true;
}

bool TomlDocument::insertIntoInlineTable(const toml::table& table, const TomlKeyValue& change) {
    std::string pair = tomlKey(change.key) + " = " + change.value;
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

// Out of a table that is not inline, `key` goes with the sections of its headers and the lines
// of its key-value pairs (but their comment lines).
bool TomlDocument::removeKey(const TomlTable& parent, std::string_view key) {
    auto found = parent.table->find(key);
    if (found == parent.table->end())
        return false;
    if (parent.table->is_inline())
        return removeFromInlineTable(*parent.table, key);
    TomlPath path = childPath(parent.path, key);
    for (const auto& header : layout_.headers())
        if (header.path && startsWith(*header.path, path))
            cutSection(header.line);
    deleteKeyValueLines(found->first, found->second);
    return true;
}

// Removals from one inline table are planned together (see cutInlinePairs), because the
// comma that goes with a pair depends on which of its neighbours stay.
bool TomlDocument::removeFromInlineTable(const toml::table& table, std::string_view key) {
    for (auto&& [pair_key, node] : table)
        if (node.is_table() && !node.as_table()->is_inline())
            return false;  // `{ a.b = 1 }`: not worth the trouble
    inline_removals_[&table].emplace_back(key);
    return true;
}

// Cuts the removed `key = value` pairs out of `{ ... }`: a run of them after a pair that
// stays goes with the comma before it, a run at the start with the comma after it.
void TomlDocument::cutInlinePairs(const toml::table& table, const std::vector<std::string>& keys) {
    struct Pair {
        std::size_t key_begin, value_end;
        bool removed;
    };
    std::vector<Pair> pairs;
    for (auto&& [key, node] : table)
        pairs.push_back({lines_.offsetOf(key.source().begin), lines_.offsetOf(node.source().end),
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
void TomlDocument::deleteKeyValueLines(const toml::key& key, const toml::node& node) {
    if (auto* table = node.as_table(); table && !table->is_inline()) {
        if (layout_.startsAtHeader(*table))
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

void TomlDocument::insertAfterSection(const TomlTable& site, const std::string& block) {
    insertAfterLine(layout_.lastContentLine(site.header_line), block);
}

bool TomlDocument::rewriteArray(const TomlTable& site, std::string_view key, std::size_t old_size,
                                const std::vector<TomlArrayElement>& elements) {
    std::vector<std::string> values;
    for (const auto& element : elements)
        values.push_back(element.value);
    const toml::node* node = site.table->get(key);
    if (!node)
        return insertKey(site, {std::string(key), tomlArray(values)});
    auto* array = node->as_array();
    // The old elements must be the array's, one for one.
    if (!array || holdsHeaderTables(*array) || array->size() != old_size)
        return false;
    const auto& where = array->source();
    if (where.begin.line == where.end.line) {
        replaceSpan(where, tomlArray(values));
        return true;
    }
    if (auto lines = ElementPerLineArray::find(layout_, *array)) {
        edits_.push_back(lines->rewrite(elements));
        return true;
    }
    // Written across lines some other way: a single line loses nothing but line breaks,
    // unless there are comments in between.
    if (layout_.holdsComments(*array))
        return false;
    replaceSpan(where, tomlArray(values));
    return true;
}

std::optional<std::string> TomlDocument::result() {
    for (const auto& [table, keys] : inline_removals_)
        cutInlinePairs(*table, keys);
    inline_removals_.clear();
    return applyEdits(text_, edits_);
}

}  // namespace switchboard
