// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <vector>

#include "switchboard/admin/unified_diff.h"

using namespace switchboard;

namespace {

std::string lines(int from, int to, std::vector<std::pair<int, std::string>> replaced = {}) {
    std::string text;
    for (int i = from; i <= to; ++i) {
        std::string line = std::to_string(i);
        for (auto& [number, replacement] : replaced)
            if (number == i)
                line = replacement;
        text += line + "\n";
    }
    return text;
}

// Applies a unified diff as `patch` would, checking every context and removed line.
std::string applyPatch(const std::string& original, const std::string& diff) {
    std::vector<std::string> source;  // with their newlines
    for (std::size_t start = 0; start < original.size();) {
        auto end = original.find('\n', start);
        end = end == std::string::npos ? original.size() : end + 1;
        source.push_back(original.substr(start, end - start));
        start = end;
    }
    std::vector<std::string> diff_lines;
    std::istringstream in(diff);
    for (std::string line; std::getline(in, line);)
        diff_lines.push_back(line);

    std::string out;
    std::size_t next = 0;
    char last_kind = 0;
    for (std::size_t i = 2; i < diff_lines.size(); ++i) {
        const std::string& line = diff_lines[i];
        if (line.rfind("@@ -", 0) == 0) {
            std::size_t old_start = std::stoul(line.substr(4));
            auto comma = line.find(',');
            bool has_count = comma != std::string::npos && comma < line.find(' ', 4);
            std::size_t old_count = has_count ? std::stoul(line.substr(comma + 1)) : 1;
            std::size_t first = old_count == 0 ? old_start : old_start - 1;
            while (next < first)
                out += source[next++];
            last_kind = 0;
            continue;
        }
        if (line == "\\ No newline at end of file") {
            if (last_kind == ' ' || last_kind == '+')
                out.pop_back();
            continue;
        }
        last_kind = line.empty() ? ' ' : line[0];
        std::string text = line.empty() ? "" : line.substr(1);
        if (last_kind == '+') {
            out += text + "\n";
            continue;
        }
        if (next >= source.size())
            return "<patch does not apply: past the end>";
        std::string expected = source[next++];
        if (!expected.empty() && expected.back() == '\n')
            expected.pop_back();
        if (expected != text)
            return "<patch does not apply at diff line " + std::to_string(i) + ">";
        if (last_kind == ' ')
            out += text + "\n";
    }
    while (next < source.size())
        out += source[next++];
    return out;
}

}  // namespace

TEST(UnifiedDiff, EqualTextsGiveNothing) {
    EXPECT_EQ(unifiedDiff("", "", "f"), "");
    EXPECT_EQ(unifiedDiff("a\nb\n", "a\nb\n", "f"), "");
}

TEST(UnifiedDiff, OneChangedLineWithThreeLinesOfContext) {
    EXPECT_EQ(unifiedDiff(lines(1, 10), lines(1, 10, {{5, "five"}}), "etc/sb.toml"),
              "--- a/etc/sb.toml\n+++ b/etc/sb.toml\n"
              "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, ChangesSixLinesApartShareAHunkSevenApartDoNot) {
    EXPECT_EQ(unifiedDiff(lines(1, 20), lines(1, 20, {{3, "three"}, {10, "ten"}}), "f"),
              "--- a/f\n+++ b/f\n@@ -1,13 +1,13 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n 9\n"
              "-10\n+ten\n 11\n 12\n 13\n");
    EXPECT_EQ(unifiedDiff(lines(1, 20), lines(1, 20, {{3, "three"}, {11, "eleven"}}), "f"),
              "--- a/f\n+++ b/f\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
              "@@ -8,7 +8,7 @@\n 8\n 9\n 10\n-11\n+eleven\n 12\n 13\n 14\n");
}

TEST(UnifiedDiff, MissingNewlineAtEndIsMarked) {
    EXPECT_EQ(unifiedDiff("a\nb", "a\nb\n", "f"),
              "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST(UnifiedDiff, CreatedAndEmptiedFiles) {
    EXPECT_EQ(unifiedDiff("", "x\ny\n", "f"), "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    EXPECT_EQ(unifiedDiff("x\ny\n", "", "f"), "--- a/f\n+++ b/f\n@@ -1,2 +0,0 @@\n-x\n-y\n");
}

TEST(UnifiedDiff, AppendedLineAndCountOfOneLeftOut) {
    EXPECT_EQ(unifiedDiff("1\n2\n3\n", "1\n2\n3\n4\n", "f"),
              "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n 1\n 2\n 3\n+4\n");
    EXPECT_EQ(unifiedDiff("a\n", "b\n", "f"), "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
}

TEST(UnifiedDiff, ZeroContext) {
    EXPECT_EQ(unifiedDiff(lines(1, 5), lines(1, 5, {{3, "c"}}), "f", 0),
              "--- a/f\n+++ b/f\n@@ -3 +3 @@\n-3\n+c\n");
}

TEST(UnifiedDiff, IsMinimal) {
    // Myers finds the shortest script: one line moved costs one removal and one addition.
    std::string diff = unifiedDiff("a\nb\nc\nd\n", "b\nc\nd\na\n", "f");
    int changes = 0;
    std::istringstream in(diff);
    std::string line;
    while (std::getline(in, line))
        changes +=
            (line[0] == '+' || line[0] == '-') && line.rfind("---", 0) && line.rfind("+++", 0);
    EXPECT_EQ(changes, 2) << diff;
}

TEST(UnifiedDiff, RandomEditsApplyBackExactly) {
    std::mt19937 random(12345);
    const std::vector<std::string> words = {"a", "b", "c", "[services.x]", "", "# c", "d"};
    for (int round = 0; round < 300; ++round) {
        std::string before, after;
        int count = static_cast<int>(random() % 30);
        for (int i = 0; i < count; ++i) {
            std::string line = words[random() % words.size()];
            before += line + "\n";
            switch (random() % 5) {
            case 0:
                break;  // removed
            case 1:
                after += words[random() % words.size()] + "\n" + line + "\n";
                break;
            case 2:
                after += words[random() % words.size()] + "\n";
                break;
            default:
                after += line + "\n";
            }
        }
        if (random() % 4 == 0 && !before.empty())
            before.pop_back();
        if (random() % 4 == 0 && !after.empty())
            after.pop_back();
        std::string diff = unifiedDiff(before, after, "f", static_cast<int>(random() % 4));
        EXPECT_EQ(applyPatch(before, diff), after) << "before:\n"
                                                   << before << "\nafter:\n"
                                                   << after << "\ndiff:\n"
                                                   << diff;
    }
}

TEST(UnifiedDiff, HugeRewritesStayCorrect) {
    std::string before, after;
    for (int i = 0; i < 3000; ++i) {
        before += "old " + std::to_string(i) + "\n";
        after += "new " + std::to_string(i) + "\n";
    }
    std::string diff = unifiedDiff(before, after, "f");
    EXPECT_EQ(applyPatch(before, diff), after);
}

TEST(DiffFileName, DropsLeadingSlashes) {
    EXPECT_EQ(diffFileName("/etc/switchboard/switchboard.toml"),
              "etc/switchboard/switchboard.toml");
    EXPECT_EQ(diffFileName("//x.toml"), "x.toml");
    EXPECT_EQ(diffFileName("relative.toml"), "relative.toml");
    EXPECT_EQ(diffFileName("/"), "switchboard.toml");
}
