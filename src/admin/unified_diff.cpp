// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/unified_diff.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace switchboard {

namespace {

// Myers' search keeps one array per edit distance for the backtrack; past this many edits
// the middle of the texts is shown as removed then added (see the header).
constexpr std::ptrdiff_t kMaxEdits = 1000;

// One line; the last line of a text may lack its newline, and then differs from the same
// text with one.
struct Line {
    std::string_view text;
    bool newline = true;
    bool operator==(const Line&) const = default;
};

std::vector<Line> splitLines(std::string_view text) {
    std::vector<Line> lines;
    while (!text.empty()) {
        auto end = text.find('\n');
        if (end == std::string_view::npos) {
            lines.push_back({text, false});
            break;
        }
        lines.push_back({text.substr(0, end), true});
        text.remove_prefix(end + 1);
    }
    return lines;
}

enum class Op { Equal, Remove, Add };

struct Edit {
    Op op;
    std::size_t line;  // index into `before` for Equal and Remove, into `after` for Add
};

// Myers' greedy shortest edit script of a -> b (both already without their common head and
// tail), or nothing when it needs more than kMaxEdits edits. `a_base` / `b_base` are added
// to the line indexes of the result.
std::optional<std::vector<Edit>> shortestEdits(const std::vector<Line>& a, std::size_t a_begin,
                                               std::size_t a_end, const std::vector<Line>& b,
                                               std::size_t b_begin, std::size_t b_end) {
    const auto n = static_cast<std::ptrdiff_t>(a_end - a_begin);
    const auto m = static_cast<std::ptrdiff_t>(b_end - b_begin);
    const std::ptrdiff_t max_d = std::min(n + m, kMaxEdits);
    const std::ptrdiff_t offset = max_d + 1;
    std::vector<std::ptrdiff_t> v(static_cast<std::size_t>(2 * max_d + 3), 0);
    auto at = [&](std::ptrdiff_t k) -> std::ptrdiff_t& {
        return v[static_cast<std::size_t>(k + offset)];
    };
    // trace[d] holds v[-d..d] as it was before step d, which is what the backtrack needs.
    std::vector<std::vector<std::ptrdiff_t>> trace;
    std::ptrdiff_t found_d = -1;
    for (std::ptrdiff_t d = 0; d <= max_d && found_d < 0; ++d) {
        trace.emplace_back(v.begin() + (offset - d), v.begin() + (offset + d + 1));
        for (std::ptrdiff_t k = -d; k <= d; k += 2) {
            std::ptrdiff_t x =
                (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
            std::ptrdiff_t y = x - k;
            while (x < n && y < m &&
                   a[a_begin + static_cast<std::size_t>(x)] ==
                       b[b_begin + static_cast<std::size_t>(y)]) {
                ++x;
                ++y;
            }
            at(k) = x;
            if (x >= n && y >= m) {
                found_d = d;
                break;
            }
        }
    }
    if (found_d < 0)
        return std::nullopt;

    std::vector<Edit> reversed;
    std::ptrdiff_t x = n, y = m;
    for (std::ptrdiff_t d = found_d; d > 0; --d) {
        const auto& previous = trace[static_cast<std::size_t>(d)];
        auto prev_at = [&](std::ptrdiff_t k) { return previous[static_cast<std::size_t>(k + d)]; };
        std::ptrdiff_t k = x - y;
        std::ptrdiff_t prev_k =
            (k == -d || (k != d && prev_at(k - 1) < prev_at(k + 1))) ? k + 1 : k - 1;
        std::ptrdiff_t prev_x = prev_at(prev_k);
        std::ptrdiff_t prev_y = prev_x - prev_k;
        while (x > prev_x && y > prev_y) {
            --x;
            --y;
            reversed.push_back({Op::Equal, a_begin + static_cast<std::size_t>(x)});
        }
        if (x == prev_x)
            reversed.push_back({Op::Add, b_begin + static_cast<std::size_t>(prev_y)});
        else
            reversed.push_back({Op::Remove, a_begin + static_cast<std::size_t>(prev_x)});
        x = prev_x;
        y = prev_y;
    }
    while (x > 0 && y > 0) {
        --x;
        --y;
        reversed.push_back({Op::Equal, a_begin + static_cast<std::size_t>(x)});
    }
    return std::vector<Edit>(reversed.rbegin(), reversed.rend());
}

std::vector<Edit> editScript(const std::vector<Line>& a, const std::vector<Line>& b) {
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head])
        ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head &&
           a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;

    std::vector<Edit> edits;
    for (std::size_t i = 0; i < head; ++i)
        edits.push_back({Op::Equal, i});
    auto middle = shortestEdits(a, head, a.size() - tail, b, head, b.size() - tail);
    if (middle) {
        edits.insert(edits.end(), middle->begin(), middle->end());
    } else {
        for (std::size_t i = head; i < a.size() - tail; ++i)
            edits.push_back({Op::Remove, i});
        for (std::size_t i = head; i < b.size() - tail; ++i)
            edits.push_back({Op::Add, i});
    }
    for (std::size_t i = a.size() - tail; i < a.size(); ++i)
        edits.push_back({Op::Equal, i});
    return edits;
}

// "-3,2" / "+5" / "-0,0": GNU diff's range notation (a count of 1 is left out; an empty
// range names the line before it).
std::string hunkRange(char sign, std::size_t first, std::size_t count) {
    std::string text(1, sign);
    text += std::to_string(count == 0 ? first : first + 1);
    if (count != 1)
        text += "," + std::to_string(count);
    return text;
}

void appendLine(std::string& out, char prefix, const Line& line) {
    out += prefix;
    out += line.text;
    out += '\n';
    if (!line.newline)
        out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unifiedDiff(std::string_view before, std::string_view after, std::string_view name,
                        int context) {
    if (before == after)
        return "";
    const auto a = splitLines(before);
    const auto b = splitLines(after);
    const auto edits = editScript(a, b);
    const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));

    std::string out = "--- a/" + std::string(name) + "\n+++ b/" + std::string(name) + "\n";
    // Line numbers (0-based) in a and b at the start of each edit.
    std::vector<std::size_t> a_line(edits.size() + 1), b_line(edits.size() + 1);
    for (std::size_t i = 0; i < edits.size(); ++i) {
        a_line[i + 1] = a_line[i] + (edits[i].op != Op::Add);
        b_line[i + 1] = b_line[i] + (edits[i].op != Op::Remove);
    }

    std::size_t i = 0;
    while (i < edits.size()) {
        if (edits[i].op == Op::Equal) {
            ++i;
            continue;
        }
        // A hunk: from `ctx` lines before this change to `ctx` lines after the last change
        // that follows within 2 * ctx unchanged lines.
        std::size_t start = i >= ctx ? i - ctx : 0;
        std::size_t last_change = i;
        std::size_t j = i + 1;
        while (j < edits.size()) {
            if (edits[j].op != Op::Equal) {
                last_change = j;
                ++j;
                continue;
            }
            std::size_t run = j;
            while (run < edits.size() && edits[run].op == Op::Equal)
                ++run;
            if (run == edits.size() || run - j > 2 * ctx)
                break;
            j = run;
        }
        std::size_t end = std::min(edits.size(), last_change + 1 + ctx);

        out += "@@ " + hunkRange('-', a_line[start], a_line[end] - a_line[start]) + " " +
               hunkRange('+', b_line[start], b_line[end] - b_line[start]) + " @@\n";
        for (std::size_t e = start; e < end; ++e) {
            const Edit& edit = edits[e];
            switch (edit.op) {
            case Op::Equal:
                appendLine(out, ' ', a[edit.line]);
                break;
            case Op::Remove:
                appendLine(out, '-', a[edit.line]);
                break;
            case Op::Add:
                appendLine(out, '+', b[edit.line]);
                break;
            }
        }
        i = end;
    }
    return out;
}

std::string diffFileName(std::string_view path) {
    while (!path.empty() && path.front() == '/')
        path.remove_prefix(1);
    return path.empty() ? "switchboard.toml" : std::string(path);
}

}  // namespace switchboard
