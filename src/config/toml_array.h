// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "toml_layout.h"

namespace switchboard {

// One element of an array being rewritten: where it comes from, and its text.
struct TomlArrayElement {
    std::string value;                  // the element as TOML
    std::optional<std::size_t> origin;  // the index of the old element it is, if it is one
    bool changed = true;                // an old element whose text must give way to `value`
};

// An array written one element per line: nothing after '[' on its line but a comment, each
// element alone on its line (with its comma and an end-of-line comment), ']' first on its
// line. Its lines are rewritten so that comment lines and end-of-line comments stay.
class ElementPerLineArray {
  public:
    // Nothing when `array` is not written this way. `layout` and `array` must outlive the result.
    static std::optional<ElementPerLineArray> find(const TomlLayout& layout,
                                                   const toml::array& array);

    // The new lines between '[' and ']'. Comment and blank lines stay where they are. The lines
    // of old elements that stay are kept whole, their element re-rendered only when changed;
    // they fill the places of the old element lines in the order of `elements`, so an element
    // moves with its own end-of-line comment. Lines of old elements that are gone go; a new
    // element follows the one before it. Every element but the last is followed by a comma; the
    // last keeps the file's habit.
    TextEdit rewrite(const std::vector<TomlArrayElement>& elements) const;

  private:
    // One line between the brackets, split around its comma so that the comma can be added or
    // dropped when the element stops or starts being the last.
    struct Line {
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

    ElementPerLineArray(const TomlLayout& layout, const toml::array& array)
        : layout_(&layout), array_(&array) {}

    // The line of an element that stands alone on its line, after the previous one.
    std::optional<std::size_t> elementLine(const toml::node& element) const;
    Line splitElementLine(const toml::node& element) const;
    std::string newElementIndent() const;
    Line newElementLine(const std::string& indent, const std::string& value) const;
    Line keptElementLine(const toml::node& element, const TomlArrayElement& now) const;
    static void setCommas(std::vector<Line>& lines, bool trailing_comma);

    const TomlLayout* layout_;
    const toml::array* array_;
    std::size_t open_line_ = 0;
    std::size_t close_line_ = 0;
    std::map<std::size_t, std::size_t> element_at_line_;  // line -> element index
    std::vector<std::size_t> element_lines_;
    bool trailing_comma_ = true;  // the last element is followed by a comma
};

}  // namespace switchboard
