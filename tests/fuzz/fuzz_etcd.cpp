// SPDX-License-Identifier: Apache-2.0
// What etcd's JSON gateway sends (SPEC §12), as any bytes: the answer parsers, errorText, the
// watch stream's splitter, base64 and prefixRangeEnd.
//
// The parsers never crash and never give both a value and an error. The splitter cuts the same
// objects, and breaks at the same place, whether the bytes come whole or in pieces (cut where
// the input's own bytes say), each object it hands out starts with '{', ends with '}' and is
// within its limit. base64: what decodes encodes to text that decodes to the same bytes, and
// any bytes encode to text that decodes back to them. prefixRangeEnd's end is above the prefix
// and every key under it, unless it is "\0" (every key).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "switchboard/cluster/etcd_messages.h"

using namespace switchboard::etcd;

namespace {

void checkParsers(std::string_view input) {
    auto range = parseRangeAnswer(input);
    FUZZ_CHECK(range.ok() || !range.error().message.empty(), "input", input);
    auto txn = parseTxnAnswer(input);
    FUZZ_CHECK(txn.ok() || !txn.error().message.empty(), "input", input);
    if (txn.ok())
        FUZZ_CHECK(txn->ranges.size() <= input.size(), "input", input);
    auto watch = parseWatchMessage(input);
    FUZZ_CHECK(watch.ok() || !watch.error().message.empty(), "input", input);
    std::string text = errorText(input);
    FUZZ_CHECK(text.size() <= input.size(), "input", input, "text", text);
}

struct Split {
    std::vector<std::string> objects;
    bool broken = false;
};

// Feeds `input` in pieces of 1 to 16 bytes whose sizes come from the input itself when
// `in_pieces`, else whole, taking objects out as they come.
Split split(std::string_view input, std::size_t max_object, bool in_pieces) {
    JsonStreamSplitter splitter(max_object);
    Split out;
    std::size_t at = 0;
    while (at < input.size()) {
        std::size_t length =
            in_pieces ? 1 + static_cast<unsigned char>(input[at]) % 16 : input.size();
        splitter.feed(input.substr(at, length));
        at += length < input.size() - at ? length : input.size() - at;
        while (auto object = splitter.next())
            out.objects.push_back(std::move(*object));
    }
    out.broken = splitter.broken();
    return out;
}

void checkSplitter(std::string_view input) {
    for (std::size_t max_object : {std::size_t{16} << 20, std::size_t{64}}) {
        Split whole = split(input, max_object, false);
        Split pieces = split(input, max_object, true);
        FUZZ_CHECK(whole.broken == pieces.broken, "input", input);
        FUZZ_CHECK(whole.objects == pieces.objects, "input", input);
        for (const std::string& object : whole.objects) {
            FUZZ_CHECK(object.size() >= 2 && object.front() == '{' && object.back() == '}' &&
                           object.size() <= max_object,
                       "input", input, "object", object);
            auto message = parseWatchMessage(object);
            FUZZ_CHECK(message.ok() || !message.error().message.empty(), "object", object);
        }
    }
}

void checkBase64(std::string_view input) {
    auto decoded = base64Decode(input);
    if (decoded) {
        std::size_t padding = input.size() - (input.find_last_not_of('=') + 1);
        FUZZ_CHECK(decoded->size() == input.size() / 4 * 3 - padding, "input", input);
        auto again = base64Decode(base64Encode(*decoded));
        FUZZ_CHECK(again && *again == *decoded, "input", input);
    }
    std::string encoded = base64Encode(input);
    auto back = base64Decode(encoded);
    FUZZ_CHECK(back && *back == input, "input", input, "encoded", encoded);
}

// etcd orders keys as unsigned bytes.
bool bytesBefore(std::string_view a, std::string_view b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
}

void checkPrefixRangeEnd(std::string_view prefix) {
    std::string end = prefixRangeEnd(prefix);
    if (end == std::string(1, '\0'))
        return;
    FUZZ_CHECK(bytesBefore(prefix, end), "prefix", prefix, "end", end);
    std::string longest = std::string(prefix) + std::string(8, '\xff');
    FUZZ_CHECK(bytesBefore(longest, end), "prefix", prefix, "end", end);
    FUZZ_CHECK(end.size() <= prefix.size(), "prefix", prefix, "end", end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy of exactly the input's size, not NUL-terminated: ASan sees a read past its end.
    std::vector<char> owned(data, data + size);
    std::string_view input(owned.data(), owned.size());
    checkParsers(input);
    checkSplitter(input);
    checkBase64(input);
    checkPrefixRangeEnd(input);
    return 0;
}
