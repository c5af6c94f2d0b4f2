// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/toml_text.h"
#include "toml_array.h"
#include "toml_layout.h"

namespace switchboard {

// A TOML table as the file writes it: under its own [header], as an inline { ... } value, or
// scattered (dotted keys, or implied by a deeper header), where keys can be changed but a key
// can be added only after a dotted key.
struct TomlTable {
    enum class Form { Header, Inline, Scattered };
    const toml::table* table = nullptr;
    TomlPath path;
    Form form = Form::Scattered;
    std::size_t header_line = 0;  // Form::Header only
};

// Edits of a TOML document made on its text, so that everything not edited stays byte for
// byte: comment lines are never removed, an end-of-line comment goes only with its own line.
// It knows TOML, not the config schema. The edits are planned against the text as parsed and
// applied together by result(); each call returns false when it cannot make its edit in place.
class TomlDocument {
  public:
    // `root` is `text` parsed; both must outlive the document.
    TomlDocument(std::string_view text, const toml::table& root);

    // The file's line ending, for blocks of new lines.
    const std::string& newline() const { return lines_.newline(); }
    bool containsKey(std::string_view key) const { return root_.contains(key); }
    // The table at `path`; nothing when the path leads nowhere or to a value that is no table.
    std::optional<TomlTable> table(const TomlPath& path) const;

    // Replaces the value of the key where it stands, or adds the key after the last key of the
    // table (`key = value`, one more `prefix.key = value`, or `, key = value` inside `{ }`).
    bool setValue(const TomlTable& table, const TomlKeyValue& change);
    bool setValues(const TomlTable& table, const std::vector<TomlKeyValue>& changes);
    bool insertKey(const TomlTable& table, const TomlKeyValue& change);
    // Removes the key and all it holds: its sections, its key-value lines, its pair in `{ }`.
    bool removeKey(const TomlTable& parent, std::string_view key);

    // `block` is whole lines, each ending with newline(). appendSection adds it at the end of
    // the file, apart from what is before it by one blank line; insertAfterSection after the
    // last key of a table written under its own header.
    void appendSection(const std::string& block);
    void insertAfterSection(const TomlTable& table, const std::string& block);

    // Rewrites the array at `key`, which must have `old_size` elements, into `elements`; adds
    // the key when it is missing. An array on one line, or across lines without comments, is
    // written on one line; one written one element per line stays so (ElementPerLineArray).
    bool rewriteArray(const TomlTable& table, std::string_view key, std::size_t old_size,
                      const std::vector<TomlArrayElement>& elements);

    // The text with every edit applied; nothing when edits overlap.
    std::optional<std::string> result();

  private:
    TomlTable siteOf(const toml::table& table, TomlPath path) const;

    void replaceSpan(const toml::source_region& where, std::string replacement);
    void insertAfterLine(std::size_t line, const std::string& block);
    void deleteLines(std::size_t first, std::size_t last);
    void deleteLine(std::size_t line);
    void cutSection(std::size_t header_line);

    bool insertDottedKey(const toml::table& table, const TomlKeyValue& change);
    bool insertIntoInlineTable(const toml::table& table, const TomlKeyValue& change);
    bool removeFromInlineTable(const toml::table& table, std::string_view key);
    void cutInlinePairs(const toml::table& table, const std::vector<std::string>& keys);
    void deleteKeyValueLines(const toml::key& key, const toml::node& node);

    std::string_view text_;
    TomlLayout layout_;
    const TextLines& lines_;  // layout_'s
    const toml::table& root_;
    std::vector<bool> deleted_;
    std::vector<TextEdit> edits_;
    std::map<const toml::table*, std::vector<std::string>> inline_removals_;
    bool appended_ = false;
};

}  // namespace switchboard
