// SPDX-License-Identifier: Apache-2.0
#include "switchboard/http/chunked_decoder.h"

#include "switchboard/http/http_chars.h"

namespace switchboard {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

void ChunkedDecoder::reset() {
    state_ = State::Size;
    chunk_size_ = 0;
    size_line_bytes_ = 0;
    trailer_bytes_ = 0;
    payload_bytes_ = 0;
    error_.clear();
}

std::size_t ChunkedDecoder::fail(std::size_t consumed, const char* message) {
    state_ = State::Failed;
    error_ = message;
    return consumed;
}

std::size_t ChunkedDecoder::feed(std::string_view input, std::vector<std::string_view>& payload) {
    std::size_t pos = 0;
    const std::size_t size = input.size();
    while (pos < size) {
        char c = input[pos];
        switch (state_) {
        case State::Size: {
            int digit = hexValue(c);
            if (digit >= 0) {
                if (chunk_size_ > (kMaxChunkSize - static_cast<std::uint64_t>(digit)) / 16)
                    return fail(pos, "chunk size too large");
                chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(digit);
            } else if (size_line_bytes_ == 0) {
                return fail(pos, "invalid chunk size");
            } else if (c == '\n') {
                return fail(pos, "bare LF in chunk size line");
            } else if (c == '\r') {
                state_ = State::SizeLf;
            } else if (c == ';') {
                state_ = State::Extension;
            } else if (isOws(c)) {
                state_ = State::SizeBws;
            } else {
                return fail(pos, "invalid chunk size");
            }
            break;
        }
        case State::SizeBws:
            if (c == ';')
                state_ = State::Extension;
            else if (!isOws(c))
                return fail(pos, "invalid character after chunk size");
            break;
        case State::Extension:
            if (c == '\r')
                state_ = State::SizeLf;
            else if (!isIn(kFieldValueChars, c))
                return fail(pos, "invalid character in chunk extension");
            break;
        case State::SizeLf:
            if (c != '\n')
                return fail(pos, "bare CR in chunk size line");
            size_line_bytes_ = 0;
            state_ = chunk_size_ == 0 ? State::TrailerStart : State::Data;
            ++pos;
            continue;
        case State::Data: {
            std::size_t available = size - pos;
            std::size_t take =
                chunk_size_ < available ? static_cast<std::size_t>(chunk_size_) : available;
            payload.push_back(input.substr(pos, take));
            payload_bytes_ += take;
            chunk_size_ -= take;
            pos += take;
            if (chunk_size_ == 0)
                state_ = State::DataCr;
            continue;
        }
        case State::DataCr:
            if (c != '\r')
                return fail(pos, "missing CRLF after chunk data");
            state_ = State::DataLf;
            ++pos;
            continue;
        case State::DataLf:
            if (c != '\n')
                return fail(pos, "missing CRLF after chunk data");
            state_ = State::Size;
            ++pos;
            continue;
        case State::TrailerStart:
            if (c == '\r')
                state_ = State::FinalLf;
            else if (c == '\n')
                return fail(pos, "bare LF in trailer");
            else if (isOws(c))
                return fail(pos, "obsolete line folding in trailer");
            else if (isIn(kTokenChars, c))
                state_ = State::TrailerName;
            else
                return fail(pos, "invalid trailer field");
            break;
        case State::TrailerName:
            if (c == ':')
                state_ = State::TrailerValue;
            else if (!isIn(kTokenChars, c))
                return fail(pos, "invalid trailer field name");
            break;
        case State::TrailerValue:
            if (c == '\r')
                state_ = State::TrailerLf;
            else if (!isIn(kFieldValueChars, c))
                return fail(pos, "invalid character in trailer field value");
            break;
        case State::TrailerLf:
            if (c != '\n')
                return fail(pos, "bare CR in trailer");
            state_ = State::TrailerStart;
            break;
        case State::FinalLf:
            if (c != '\n')
                return fail(pos, "bare CR at end of chunked body");
            state_ = State::Done;
            return pos + 1;
        case State::Done:
        case State::Failed:
            return pos;
        }
        // One byte of a size line (its CR aside) or of the trailer section was consumed. The
        // trailer states are declared last in State, after every size-line state.
        if (state_ >= State::TrailerStart) {
            if (++trailer_bytes_ > kMaxChunkTrailerBytes)
                return fail(pos, "trailer section too large");
        } else if (state_ != State::SizeLf && ++size_line_bytes_ > kMaxChunkSizeLineBytes) {
            return fail(pos, "chunk size line too long");
        }
        ++pos;
    }
    return pos;
}

}  // namespace switchboard
