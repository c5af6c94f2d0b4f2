// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// A chunk-size line (size, BWS and extensions, not the CRLF) longer than this is an error.
inline constexpr std::size_t kMaxChunkSizeLineBytes = 4096;
// A trailer section (every byte after the last-chunk line) longer than this is an error.
inline constexpr std::size_t kMaxChunkTrailerBytes = 16384;
// The largest chunk size accepted: 2^63 - 1.
inline constexpr std::uint64_t kMaxChunkSize = 0x7fffffffffffffffULL;

// Incremental decoder for a chunked body (RFC 9112 §7.1). Feed it bytes as they arrive; it
// hands back the payload as views into the input, so nothing is copied.
//
// Chunk extensions are accepted and ignored (the proxy re-frames bodies, so they never reach
// the upstream), but the whole chunk-size line is bounded by kMaxChunkSizeLineBytes. Trailer
// fields are checked for syntax (token name, colon, field-value characters, no obs-fold) and
// discarded; the trailer section is bounded by kMaxChunkTrailerBytes. Chunk sizes must be
// 1*HEXDIG immediately at the start of the line (no sign, no 0x, no leading whitespace),
// followed by CRLF, or by BWS ";" and extensions; sizes above kMaxChunkSize are errors.
class ChunkedDecoder {
  public:
    // The order matters: feed() relies on the trailer states coming after the size-line ones.
    enum class State {
        Size,          // reading chunk-size hex digits
        SizeBws,       // whitespace after the size; only ';' may follow
        Extension,     // inside chunk extensions, up to CR
        SizeLf,        // CR seen at the end of a size line
        Data,          // inside chunk-data
        DataCr,        // chunk-data done, expecting CR
        DataLf,        // expecting LF after chunk-data
        TrailerStart,  // at the start of a trailer line (or of the final empty line)
        TrailerName,   // inside a trailer field name
        TrailerValue,  // inside a trailer field value
        TrailerLf,     // CR seen at the end of a trailer line
        FinalLf,       // CR seen of the final empty line
        Done,
        Failed,
    };

    // Consumes bytes from the start of `input` and appends the payload they carry to `payload`
    // as views into `input` (empty views are never appended). Returns how many bytes were
    // consumed: all of `input` unless the body ended (done(); the rest belongs to whatever
    // follows the body) or was malformed (failed(); the count then stops at the bad byte).
    // After done() or failed() it consumes nothing.
    std::size_t feed(std::string_view input, std::vector<std::string_view>& payload);

    bool done() const { return state_ == State::Done; }
    bool failed() const { return state_ == State::Failed; }
    State state() const { return state_; }
    // Why the body was refused; empty unless failed().
    const std::string& error() const { return error_; }
    // Payload bytes handed out so far.
    std::uint64_t payloadBytes() const { return payload_bytes_; }

    // Back to the start, for the next body on the same connection.
    void reset();

  private:
    std::size_t fail(std::size_t consumed, const char* message);

    State state_ = State::Size;
    std::uint64_t chunk_size_ = 0;     // size being read, then bytes of chunk-data left
    std::size_t size_line_bytes_ = 0;  // bytes of the current chunk-size line so far
    std::size_t trailer_bytes_ = 0;    // bytes of the trailer section so far
    std::uint64_t payload_bytes_ = 0;
    std::string error_;
};

}  // namespace switchboard
