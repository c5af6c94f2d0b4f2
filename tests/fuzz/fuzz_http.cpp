// SPDX-License-Identifier: Apache-2.0
// The proxy port's HTTP/1.1 parsing (http_parser.h) and the heads switchboard writes from what
// it parsed (message_rewrite.h). The first input byte picks the part, the second a split point;
// the rest is the message.
//
// Properties:
//  * never a crash, never a view outside the input;
//  * the parsers are consistent under splitting: a prefix of a message gives Incomplete, or the
//    same answer as the whole (bytes arriving in two reads change nothing);
//  * ChunkedDecoder fed the same bytes in two pieces consumes the same bytes and hands out the
//    same payload, and ends in the same state, as when fed in one;
//  * what switchboard sends on (the upstream request head, the client response head) parses
//    with the same strict parser, as exactly that head, with the framing switchboard chose.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "switchboard/http/http_parser.h"
#include "switchboard/http/message_rewrite.h"

using namespace switchboard;

namespace {

bool within(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

const char* resultName(ParseResult result) {
    switch (result) {
    case ParseResult::Incomplete:
        return "Incomplete";
    case ParseResult::Complete:
        return "Complete";
    case ParseResult::Error:
        return "Error";
    }
    return "?";
}

bool sameFields(const std::vector<HeaderField>& a, const std::vector<HeaderField>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].value != b[i].value)
            return false;
    return true;
}

bool sameRequest(const RequestHead& a, const RequestHead& b) {
    return a.method == b.method && a.target == b.target && a.minor_version == b.minor_version &&
           sameFields(a.headers, b.headers) && a.framing == b.framing &&
           a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
           a.expect_continue == b.expect_continue && a.host == b.host;
}

bool sameResponse(const ResponseHead& a, const ResponseHead& b) {
    return a.status == b.status && a.reason == b.reason && a.minor_version == b.minor_version &&
           sameFields(a.headers, b.headers) && a.framing == b.framing &&
           a.content_length == b.content_length && a.keep_alive == b.keep_alive;
}

// The head switchboard sends upstream for `request` must parse as one strict request with the
// same method, target and body framing.
void checkUpstreamHead(std::string_view input, const RequestHead& request) {
    // switchboard adds up to seven fields of its own; past the parser's field limit the re-parse
    // would say 431, which is the limit's business, not a framing problem.
    if (request.headers.size() + 7 > kMaxHeaderFields)
        return;
    HopFraming framing = request.framing == BodyFraming::ContentLength ? HopFraming::ContentLength
                         : request.framing == BodyFraming::Chunked     ? HopFraming::Chunked
                                                                       : HopFraming::None;
    std::string head;
    const std::string upgrade = requestedUpgrade(request);
    appendUpstreamRequestHead(
        {request, request.target, "192.0.2.1", framing, request.content_length, upgrade}, head);
    if (!request.absolute_form && !request.find("Host")) {
        // What UpstreamExchange::sendRequest does for an HTTP/1.0 request without Host (an
        // absolute-form target's authority is the Host already).
        head.insert(head.size() - 2, "Host: 127.0.0.1:3001\r\n");
    }
    RequestHead sent;
    std::size_t length = 0;
    HttpParseError error;
    ParseResult result = parseRequestHead(head, head.size() + 1, sent, length, error);
    FUZZ_CHECK(result == ParseResult::Complete, "input", input, "upstream head", head, "error",
               error.message);
    FUZZ_CHECK(length == head.size(), "input", input, "upstream head", head);
    FUZZ_CHECK(sent.method == request.method && sent.target == request.target, "input", input,
               "upstream head", head);
    FUZZ_CHECK(sent.framing == request.framing, "input", input, "upstream head", head);
    FUZZ_CHECK(sent.content_length == request.content_length, "input", input, "upstream head",
               head);
    FUZZ_CHECK(sent.minor_version == 1 && sent.keep_alive, "input", input, "upstream head", head);
    FUZZ_CHECK(request.host.empty() || sent.host == request.host, "input", input, "upstream head",
               head);
    // An upgrade request stays one, asking for the same protocols; any other never becomes one.
    FUZZ_CHECK(requestedUpgrade(sent) == upgrade, "input", input, "upstream head", head);
}

void fuzzRequest(std::string_view input, std::size_t split, std::size_t limit) {
    RequestHead whole;
    std::size_t whole_length = 0;
    HttpParseError whole_error;
    ParseResult whole_result = parseRequestHead(input, limit, whole, whole_length, whole_error);
    if (whole_result == ParseResult::Complete) {
        FUZZ_CHECK(whole_length > 0 && whole_length <= input.size() && whole_length <= limit,
                   "input", input);
        // The proxy waits for CRLFCRLF before it parses: every head must end in one.
        FUZZ_CHECK(input.substr(0, whole_length).ends_with("\r\n\r\n"), "input", input);
        // The target is a view of the input, or (absolute-form without a path: `/?x`) of the
        // head's own origin_target.
        const bool target_in_head = whole.absolute_form &&
                                    whole.target.data() == whole.origin_target.data() &&
                                    whole.target.size() == whole.origin_target.size();
        FUZZ_CHECK(within(whole.method, input) && (within(whole.target, input) || target_in_head) &&
                       within(whole.host, input),
                   "input", input);
        for (const auto& field : whole.headers)
            FUZZ_CHECK(within(field.name, input) && within(field.value, input), "input", input);
        // Origin form, or `OPTIONS *` (SPEC §14), which switchboard answers itself.
        if (whole.asterisk_form)
            FUZZ_CHECK(whole.target == "*" && whole.method == "OPTIONS", "input", input);
        else
            FUZZ_CHECK(!whole.target.empty() && whole.target.front() == '/', "input", input);
        if (!whole.asterisk_form)  // answered by switchboard, never sent upstream
            checkUpstreamHead(input, whole);
    } else if (whole_result == ParseResult::Error) {
        int status = whole_error.status;
        FUZZ_CHECK(status == 400 || status == 414 || status == 431 || status == 501 ||
                       status == 505,
                   "input", input, "message", whole_error.message);
    } else {
        FUZZ_CHECK(input.size() <= limit, "input", input);
    }

    RequestHead part;
    std::size_t part_length = 0;
    HttpParseError part_error;
    ParseResult part_result =
        parseRequestHead(input.substr(0, split), limit, part, part_length, part_error);
    if (part_result == ParseResult::Incomplete) {
        if (whole_result == ParseResult::Complete)
            FUZZ_CHECK(split < whole_length, "input", input, "split", std::to_string(split));
        return;
    }
    FUZZ_CHECK(part_result == whole_result, "input", input, "split", std::to_string(split),
               "prefix gave", resultName(part_result), "whole gave", resultName(whole_result));
    if (part_result == ParseResult::Complete) {
        FUZZ_CHECK(part_length == whole_length && sameRequest(part, whole), "input", input, "split",
                   std::to_string(split));
    } else {
        // A prefix within the limit can only fail for what is in it; the whole fails for the same.
        FUZZ_CHECK(part_error.status == whole_error.status &&
                       part_error.message == whole_error.message,
                   "input", input, "split", std::to_string(split), "prefix error",
                   part_error.message, "whole error", whole_error.message);
    }
}

// The head switchboard sends a client for `response` must parse as that response, framed as
// switchboard frames the body.
void checkClientHead(std::string_view input, const ResponseHead& response, bool head_request) {
    if (response.status < 200)
        return;  // interim answers are dropped, never passed on
    if (response.headers.size() + 3 > kMaxHeaderFields)
        return;  // the field limit, as for requests
    HopFraming framing = HopFraming::None;
    std::string transfer_encoding;
    switch (response.framing) {
    case BodyFraming::None:
        framing = HopFraming::None;
        break;
    case BodyFraming::ContentLength:
        framing = HopFraming::ContentLength;
        break;
    case BodyFraming::Chunked:
        framing = HopFraming::Chunked;
        transfer_encoding = joinFieldValues(response.headers, "transfer-encoding");
        break;
    case BodyFraming::UntilClose:
        framing = HopFraming::UntilClose;
        break;
    }
    bool keep_alive = framing != HopFraming::UntilClose;
    std::string head;
    appendClientResponseHead(
        {response, framing, response.content_length, transfer_encoding, keep_alive, head_request},
        head);
    ResponseHead sent;
    std::size_t length = 0;
    HttpParseError error;
    ParseResult result =
        parseResponseHead(head, head.size() + 1, head_request, sent, length, error);
    FUZZ_CHECK(result == ParseResult::Complete, "input", input, "client head", head, "error",
               error.message);
    FUZZ_CHECK(length == head.size(), "input", input, "client head", head);
    FUZZ_CHECK(sent.status == response.status, "input", input, "client head", head);
    FUZZ_CHECK(sent.framing == response.framing, "input", input, "client head", head);
    if (response.framing == BodyFraming::ContentLength)
        FUZZ_CHECK(sent.content_length == response.content_length, "input", input, "client head",
                   head);
    FUZZ_CHECK(sent.keep_alive == keep_alive, "input", input, "client head", head);
}

void fuzzResponse(std::string_view input, std::size_t split, std::size_t limit, bool head_request) {
    ResponseHead whole;
    std::size_t whole_length = 0;
    HttpParseError whole_error;
    ParseResult whole_result =
        parseResponseHead(input, limit, head_request, whole, whole_length, whole_error);
    if (whole_result == ParseResult::Complete) {
        FUZZ_CHECK(whole_length > 0 && whole_length <= input.size(), "input", input);
        FUZZ_CHECK(input.substr(0, whole_length).ends_with("\r\n\r\n"), "input", input);
        FUZZ_CHECK(whole.status >= 100 && whole.status <= 599, "input", input);
        FUZZ_CHECK(within(whole.reason, input), "input", input);
        for (const auto& field : whole.headers)
            FUZZ_CHECK(within(field.name, input) && within(field.value, input), "input", input);
        checkClientHead(input, whole, head_request);
    } else if (whole_result == ParseResult::Error) {
        FUZZ_CHECK(whole_error.status == 502, "input", input, "message", whole_error.message);
    }

    ResponseHead part;
    std::size_t part_length = 0;
    HttpParseError part_error;
    ParseResult part_result = parseResponseHead(input.substr(0, split), limit, head_request, part,
                                                part_length, part_error);
    if (part_result == ParseResult::Incomplete) {
        if (whole_result == ParseResult::Complete)
            FUZZ_CHECK(split < whole_length, "input", input, "split", std::to_string(split));
        return;
    }
    FUZZ_CHECK(part_result == whole_result, "input", input, "split", std::to_string(split));
    if (part_result == ParseResult::Complete)
        FUZZ_CHECK(part_length == whole_length && sameResponse(part, whole), "input", input,
                   "split", std::to_string(split));
    else
        FUZZ_CHECK(part_error.message == whole_error.message, "input", input, "split",
                   std::to_string(split));
}

struct Decoded {
    std::size_t consumed = 0;
    std::string payload;
    ChunkedDecoder::State state{};
    std::string error;
    std::uint64_t payload_bytes = 0;
};

Decoded decode(std::string_view input, const std::vector<std::size_t>& cuts) {
    ChunkedDecoder decoder;
    Decoded out;
    std::vector<std::string_view> payload;
    std::size_t begin = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        if (end < begin)
            continue;
        std::string_view piece = input.substr(begin, end - begin);
        payload.clear();
        std::size_t used = decoder.feed(piece, payload);
        FUZZ_CHECK(used <= piece.size(), "input", input);
        std::size_t handed = 0;
        for (auto view : payload) {
            FUZZ_CHECK(!view.empty() && within(view, piece), "input", input);
            out.payload.append(view);
            handed += view.size();
        }
        FUZZ_CHECK(handed <= used, "input", input);
        out.consumed += used;
        if (decoder.done() || decoder.failed()) {
            // Stopped: nothing more is consumed, whatever comes.
            payload.clear();
            FUZZ_CHECK(decoder.feed(input.substr(begin + used), payload) == 0 && payload.empty(),
                       "input", input);
            break;
        }
        FUZZ_CHECK(used == piece.size(), "input", input);
        begin = end;
    }
    out.state = decoder.state();
    out.error = decoder.error();
    out.payload_bytes = decoder.payloadBytes();
    FUZZ_CHECK(out.payload_bytes == out.payload.size(), "input", input);
    FUZZ_CHECK(decoder.failed() == !out.error.empty(), "input", input);
    return out;
}

void fuzzChunked(std::string_view input, std::size_t split) {
    Decoded whole = decode(input, {});
    Decoded two = decode(input, {split});
    std::vector<std::size_t> bytewise;
    if (input.size() <= 512)
        for (std::size_t i = 1; i < input.size(); ++i)
            bytewise.push_back(i);
    Decoded single = decode(input, bytewise);
    for (const Decoded* other : {&two, &single}) {
        FUZZ_CHECK(other->consumed == whole.consumed, "input", input, "split",
                   std::to_string(split));
        FUZZ_CHECK(other->payload == whole.payload, "input", input, "split", std::to_string(split));
        FUZZ_CHECK(other->state == whole.state, "input", input, "split", std::to_string(split));
        FUZZ_CHECK(other->error == whole.error, "input", input, "split", std::to_string(split));
    }
    if (whole.state == ChunkedDecoder::State::Done) {
        // A body that decoded re-frames, as the proxy sends it on, into one that decodes the same.
        std::string reframed;
        if (!whole.payload.empty()) {
            char size_line[24];
            int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", whole.payload.size());
            reframed.append(size_line, static_cast<std::size_t>(n));
            reframed += whole.payload + "\r\n";
        }
        reframed += "0\r\n\r\n";
        Decoded again = decode(reframed, {});
        FUZZ_CHECK(again.state == ChunkedDecoder::State::Done && again.payload == whole.payload &&
                       again.consumed == reframed.size(),
                   "input", input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::ByteReader reader(data, size);
    std::uint8_t mode = reader.byte();
    std::uint16_t split_choice = reader.u16();
    std::string_view input = reader.rest();
    // A copy of exactly the input's size: ASan sees any read past its end.
    std::string owned(input);
    std::string_view message(owned);
    std::size_t split = message.empty() ? 0 : split_choice % (message.size() + 1);
    // Small limits too, so that the 414/431 paths are reached with small inputs.
    std::size_t limit = (mode & 0x10) ? 64 + (mode >> 5) * 97 : 65536;
    switch (mode % 4) {
    case 0:
    case 1:
        fuzzRequest(message, split, limit);
        break;
    case 2:
        fuzzResponse(message, split, limit, (mode & 0x20) != 0);
        break;
    case 3:
        fuzzChunked(message, split);
        break;
    }
    return 0;
}
