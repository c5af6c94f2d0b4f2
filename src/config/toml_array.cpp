// SPDX-License-Identifier: Apache-2.0
#include "toml_array.h"

#include <algorithm>

namespace switchboard {

std::optional<ElementPerLineArray> ElementPerLineArray::find(const TomlLayout& layout,
                                                             const toml::array& array) {
    const TextLines& lines = layout.lines();
    std::string_view text = layout.text();
    ElementPerLineArray found(layout, array);
    std::size_t open = lines.offsetOf(array.source().begin);
    std::size_t close = lines.offsetOf(array.source().end);
    if (open >= text.size() || text[open] != '[' || close == 0 || text[close - 1] != ']')
        return std::nullopt;
    --close;
    found.open_line_ = lines.lineOf(array.source().begin);
    found.close_line_ = lines.lineOf(array.source().end);
    auto after_open = trimmed(text.substr(open + 1, lines.contentEnd(found.open_line_) - open - 1));
    auto before_close =
        text.substr(lines.start(found.close_line_), close - lines.start(found.close_line_));
    if (found.open_line_ >= found.close_line_ ||
        !(after_open.empty() || after_open.starts_with('#')) || !isBlank(before_close))
        return std::nullopt;
    for (std::size_t index = 0; index < array.size(); ++index) {
        auto line = found.elementLine(*array.get(index));
        if (!line)
            return std::nullopt;
        found.element_at_line_[*line] = index;
        found.element_lines_.push_back(*line);
    }
    for (std::size_t line = found.open_line_ + 1; line < found.close_line_; ++line) {
        auto content = lines.content(line);
        if (!found.element_at_line_.count(line) && !isBlank(content) && !isCommentLine(content))
            return std::nullopt;
    }
    if (!found.element_lines_.empty())
        found.trailing_comma_ = found.splitElementLine(array.back()).comma;
    return found;
}

TextEdit ElementPerLineArray::rewrite(const std::vector<TomlArrayElement>& elements) const {
    const TextLines& lines = layout_->lines();
    std::vector<std::size_t> kept;  // indices into `elements` of old elements, in order
    std::vector<bool> stays(array_->size(), false);
    for (std::size_t index = 0; index < elements.size(); ++index) {
        if (elements[index].origin) {
            kept.push_back(index);
            stays[*elements[index].origin] = true;
        }
    }
    std::string indent = newElementIndent();
    std::vector<Line> out;
    std::size_t next_target = 0;
    auto addNewUpTo = [&](std::size_t end) {
        for (; next_target < end; ++next_target)
            out.push_back(newElementLine(indent, elements[next_target].value));
    };
    std::size_t slot = 0;
    for (std::size_t line = open_line_ + 1; line < close_line_; ++line) {
        auto element = element_at_line_.find(line);
        if (element == element_at_line_.end()) {
            out.push_back({false, std::string(lines.content(line)), "", "",
                           std::string(lines.terminator(line)), false});
            continue;
        }
        if (!stays[element->second])
            continue;
        std::size_t target = kept[slot++];
        std::size_t source = *elements[target].origin;
        addNewUpTo(target);
        out.push_back(keptElementLine(*array_->get(source), elements[target]));
        next_target = target + 1;
        addNewUpTo(slot < kept.size() ? kept[slot] : elements.size());
    }
    addNewUpTo(elements.size());
    setCommas(out, trailing_comma_);
    std::string interior;
    for (const auto& line : out)
        interior += line.text();
    return TextEdit{lines.start(open_line_ + 1), lines.start(close_line_), std::move(interior)};
}

std::optional<std::size_t> ElementPerLineArray::elementLine(const toml::node& element) const {
    const TextLines& lines = layout_->lines();
    std::size_t line = lines.lineOf(element.source().begin);
    std::size_t begin = lines.offsetOf(element.source().begin);
    if (lines.lineOf(element.source().end) != line || line <= open_line_ || line >= close_line_ ||
        (!element_lines_.empty() && line <= element_lines_.back()) ||
        !isBlank(layout_->text().substr(lines.start(line), begin - lines.start(line))))
        return std::nullopt;
    Line split = splitElementLine(element);
    auto rest = trimmed(split.after_comma);
    if (!rest.empty() && !rest.starts_with('#'))
        return std::nullopt;
    return line;
}

ElementPerLineArray::Line ElementPerLineArray::splitElementLine(const toml::node& element) const {
    const TextLines& lines = layout_->lines();
    std::string_view text = layout_->text();
    std::size_t line = lines.lineOf(element.source().begin);
    std::size_t end = lines.offsetOf(element.source().end);
    Line split;
    split.is_element = true;
    split.head = std::string(text.substr(lines.start(line), end - lines.start(line)));
    split.terminator = std::string(lines.terminator(line));
    std::string_view rest = text.substr(end, lines.contentEnd(line) - end);
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

std::string ElementPerLineArray::newElementIndent() const {
    const TextLines& lines = layout_->lines();
    if (!element_lines_.empty())
        return std::string(leadingWhitespace(lines.content(element_lines_.front())));
    return std::string(leadingWhitespace(lines.content(close_line_))) + "    ";
}

ElementPerLineArray::Line ElementPerLineArray::newElementLine(const std::string& indent,
                                                              const std::string& value) const {
    Line line;
    line.is_element = true;
    line.head = indent + value;
    line.terminator = layout_->lines().newline();
    return line;
}

ElementPerLineArray::Line ElementPerLineArray::keptElementLine(const toml::node& element,
                                                               const TomlArrayElement& now) const {
    Line line = splitElementLine(element);
    if (now.changed) {
        const TextLines& lines = layout_->lines();
        std::size_t start = lines.start(lines.lineOf(element.source().begin));
        std::size_t begin = lines.offsetOf(element.source().begin);
        line.head = std::string(layout_->text().substr(start, begin - start)) + now.value;
    }
    return line;
}

void ElementPerLineArray::setCommas(std::vector<Line>& lines, bool trailing_comma) {
    auto last = std::find_if(lines.rbegin(), lines.rend(),
                             [](const Line& line) { return line.is_element; });
    for (auto& line : lines)
        if (line.is_element)
            line.comma = true;
    if (last != lines.rend())
        last->comma = trailing_comma;
}

}  // namespace switchboard
