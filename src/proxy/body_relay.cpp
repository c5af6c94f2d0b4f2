// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/body_relay.h"

#include <algorithm>
#include <cstdio>

namespace switchboard {

namespace {

// Feeds the contiguous segments of `buffer` to `decoder`; returns the bytes consumed.
// Payload views point into the buffer until it is drained.
std::size_t decodeChunked(evbuffer* buffer, ChunkedDecoder& decoder,
                          std::vector<std::string_view>& payload) {
    payload.clear();
    constexpr int kSegments = 16;
    evbuffer_iovec segments[kSegments];
    int count = std::min(evbuffer_peek(buffer, -1, nullptr, segments, kSegments), kSegments);
    std::size_t consumed = 0;
    for (int i = 0; i < count; ++i) {
        std::string_view segment(static_cast<const char*>(segments[i].iov_base),
                                 segments[i].iov_len);
        std::size_t used = decoder.feed(segment, payload);
        consumed += used;
        if (decoder.done() || decoder.failed() || used < segment.size())
            break;
    }
    return consumed;
}

}  // namespace

std::string_view headBytes(evbuffer* input, std::size_t limit) {
    std::size_t length = evbuffer_get_length(input);
    if (length == 0)
        return {};
    evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, nullptr);
    std::size_t available = end.pos >= 0 ? static_cast<std::size_t>(end.pos) + 4 : length;
    available = std::min(available, limit + 4);
    const auto* data = evbuffer_pullup(input, static_cast<ev_ssize_t>(available));
    return {reinterpret_cast<const char*>(data), available};
}

void BodyRelay::begin(Pump pump, std::uint64_t content_length) {
    pump_ = pump;
    remaining_ = content_length;
    bytes_ = 0;
    decoder_.reset();
}

void BodyRelay::startRequest(HopFraming framing, std::uint64_t content_length,
                             std::uint64_t max_bytes) {
    max_bytes_ = max_bytes;
    switch (framing) {
    case HopFraming::ContentLength:
        begin(&BodyRelay::contentLength, content_length);
        done_ = content_length == 0;
        break;
    case HopFraming::Chunked:
        begin(&BodyRelay::requestChunks, 0);
        done_ = false;
        break;
    default:
        begin(&BodyRelay::none, 0);
        done_ = true;
        break;
    }
}

void BodyRelay::startResponse(BodyFraming framing, HopFraming client_framing,
                              std::uint64_t content_length) {
    done_ = false;
    switch (framing) {
    case BodyFraming::None:
        begin(&BodyRelay::none, 0);
        break;
    case BodyFraming::ContentLength:
        begin(&BodyRelay::contentLength, content_length);
        break;
    case BodyFraming::Chunked:
        begin(&BodyRelay::responseChunks, 0);
        keep_chunks_ = client_framing == HopFraming::Chunked;
        break;
    case BodyFraming::UntilClose:
        begin(&BodyRelay::untilClose, 0);
        break;
    }
}

bool BodyRelay::malformedSoFar(evbuffer* input) const {
    if (pump_ != &BodyRelay::requestChunks)
        return false;
    ChunkedDecoder probe = decoder_;
    std::vector<std::string_view> payload;
    decodeChunked(input, probe, payload);
    return probe.failed();
}

BodyRelay::Step BodyRelay::none(evbuffer*, evbuffer*) {
    done_ = true;
    return Step::Done;
}

BodyRelay::Step BodyRelay::contentLength(evbuffer* input, evbuffer* output) {
    std::size_t moved = std::min<std::uint64_t>(remaining_, evbuffer_get_length(input));
    evbuffer_remove_buffer(input, output, moved);
    remaining_ -= moved;
    bytes_ += moved;
    done_ = remaining_ == 0;
    return done_ ? Step::Done : Step::More;
}

// Each piece of payload becomes one chunk of its own: the client's chunk boundaries are not
// kept, so the upstream never sees framing that was not produced here.
BodyRelay::Step BodyRelay::requestChunks(evbuffer* input, evbuffer* output) {
    while (!done_ && evbuffer_get_length(input) > 0) {
        std::size_t consumed = decodeChunked(input, decoder_, payload_);
        for (auto span : payload_) {
            char size_line[24];
            int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", span.size());
            evbuffer_add(output, size_line, static_cast<std::size_t>(n));
            evbuffer_add(output, span.data(), span.size());
            evbuffer_add(output, "\r\n", 2);
        }
        evbuffer_drain(input, consumed);
        bytes_ = decoder_.payloadBytes();
        if (decoder_.failed())
            return Step::Malformed;
        if (bytes_ > max_bytes_)
            return Step::TooLarge;
        if (decoder_.done()) {
            evbuffer_add(output, "0\r\n\r\n", 5);
            done_ = true;
        }
        if (consumed == 0)
            break;
    }
    return done_ ? Step::Done : Step::More;
}

BodyRelay::Step BodyRelay::responseChunks(evbuffer* input, evbuffer* output) {
    while (evbuffer_get_length(input) > 0 && !decoder_.done()) {
        std::size_t consumed = decodeChunked(input, decoder_, payload_);
        if (decoder_.failed())
            return Step::Malformed;
        if (keep_chunks_) {
            // They were parsed, so they are well framed.
            evbuffer_remove_buffer(input, output, consumed);
        } else {
            for (auto span : payload_)
                evbuffer_add(output, span.data(), span.size());
            evbuffer_drain(input, consumed);
        }
        bytes_ = decoder_.payloadBytes();
        if (consumed == 0)
            break;
    }
    done_ = decoder_.done();
    return done_ ? Step::Done : Step::More;
}

// Ends only with the source's close, which the caller sees.
BodyRelay::Step BodyRelay::untilClose(evbuffer* input, evbuffer* output) {
    std::size_t length = evbuffer_get_length(input);
    bytes_ += length;
    evbuffer_remove_buffer(input, output, length);
    return Step::More;
}

}  // namespace switchboard
