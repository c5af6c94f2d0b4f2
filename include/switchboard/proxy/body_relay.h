// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/base/libevent.h"
#include "switchboard/http/chunked_decoder.h"
#include "switchboard/http/http_parser.h"
#include "switchboard/http/message_rewrite.h"

namespace switchboard {

// One message body on its way from a source's input buffer to a destination's output buffer.
// The framing is looked at once, when the message starts: it picks the pump that every later
// call runs (h2o's body reader per framing), so no call switches on it and none is virtual.
// Buffers only, no sockets: the caller writes (flush) and watches for the source's close.
class BodyRelay {
  public:
    enum class Step {
        More,       // the body goes on
        Done,       // the body is complete; bytes after it stay in the input
        Malformed,  // bad chunked framing (error())
        TooLarge,   // a chunked request body past its limit
    };

    // Backpressure, per direction: the source stops being read while the destination's
    // output buffer holds more than kHighWater, and resumes below kLowWater.
    static constexpr std::size_t kHighWater = 256 * 1024;
    static constexpr std::size_t kLowWater = 64 * 1024;

    // A request body from the client: Content-Length bytes as they are, or a chunked body
    // whose pieces of payload are chunked again for the upstream, refused above `max_bytes`.
    void startRequest(HopFraming framing, std::uint64_t content_length, std::uint64_t max_bytes);
    // A response body from the upstream, framed for the client as `client_framing` says:
    // chunks pass on as they are to a chunked client and lose their framing otherwise.
    void startResponse(BodyFraming framing, HopFraming client_framing,
                       std::uint64_t content_length);

    // Moves what `input` holds of the body to `output` (no write: the caller flushes).
    Step relay(evbuffer* input, evbuffer* output) { return (this->*pump_)(input, output); }

    // True when what `input` holds already is a malformed chunked body (so the request can be
    // refused before its head goes upstream). Reads without consuming; false for any other
    // framing.
    bool malformedSoFar(evbuffer* input) const;

    bool done() const { return done_; }
    // Payload bytes moved so far (the access log's bytes sent, for a response).
    std::uint64_t bytes() const { return bytes_; }
    // Content-Length bytes that have not passed the source yet.
    std::uint64_t remaining() const { return remaining_; }
    // Content-Length bytes that went around the buffers, through a pipe (splice): taken from
    // the source, then given to the destination.
    void splicedIn(std::uint64_t count) { remaining_ -= count; }
    void splicedOut(std::uint64_t count) { bytes_ += count; }
    const std::string& error() const { return decoder_.error(); }

  private:
    using Pump = Step (BodyRelay::*)(evbuffer*, evbuffer*);
    Step none(evbuffer* input, evbuffer* output);
    Step contentLength(evbuffer* input, evbuffer* output);
    Step requestChunks(evbuffer* input, evbuffer* output);
    Step responseChunks(evbuffer* input, evbuffer* output);
    Step untilClose(evbuffer* input, evbuffer* output);
    void begin(Pump pump, std::uint64_t content_length);

    Pump pump_ = &BodyRelay::none;
    bool done_ = true;
    bool keep_chunks_ = false;  // responseChunks: the chunks go on as they came
    std::uint64_t remaining_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t max_bytes_ = 0;
    ChunkedDecoder decoder_;
    std::vector<std::string_view> payload_;  // views into the input, per relay() call
};

// The bytes of the message head at the start of `input`, made contiguous: up to its end
// when that has arrived, else all there is (so the parser can refuse a malformed head at
// its first bad byte instead of waiting for a CRLF CRLF that may never come), cut at the
// limit either way.
std::string_view headBytes(evbuffer* input, std::size_t limit);

}  // namespace switchboard
