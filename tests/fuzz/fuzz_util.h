// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared by the fuzz targets: a reader that turns fuzz bytes into choices, and the check that
// turns a broken property into a crash libFuzzer (or the replay driver) reports.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// A property that must hold for every input. On failure prints what and where, then aborts:
// libFuzzer saves the input as a crash, the replay driver fails its ctest.
#define FUZZ_CHECK(condition, ...)                                                                 \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition);  \
            fuzz::describe(__VA_ARGS__);                                                           \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace fuzz {

inline void describe() {}
template <typename... Rest>
void describe(std::string_view label, std::string_view text, Rest... rest) {
    std::fprintf(stderr, "--- %.*s (%zu bytes) ---\n%.*s\n", static_cast<int>(label.size()),
                 label.data(), text.size(), static_cast<int>(text.size()), text.data());
    describe(rest...);
}

// Hands out the fuzz input as small decisions; past the end every read is 0, so a short input
// still makes a complete (if dull) run.
class ByteReader {
  public:
    ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    bool empty() const { return pos_ >= size_; }
    std::size_t remaining() const { return empty() ? 0 : size_ - pos_; }

    std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
    // A number in [0, bound); bound must be > 0.
    std::size_t below(std::size_t bound) { return bound <= 256 ? byte() % bound : u16() % bound; }
    bool flag() { return byte() & 1; }

    // Up to `max` bytes, as they are.
    std::string_view bytes(std::size_t max) {
        std::size_t take = remaining() < max ? remaining() : max;
        std::string_view out(reinterpret_cast<const char*>(data_ + pos_), take);
        pos_ += take;
        return out;
    }
    // Everything that is left.
    std::string_view rest() { return bytes(remaining()); }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace fuzz
