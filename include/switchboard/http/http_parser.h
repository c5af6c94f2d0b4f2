// SPDX-License-Identifier: Apache-2.0
#pragma once

// HTTP/1.1 message-head parsing and chunked-body decoding (RFC 9112) for the proxy port.
//
// A pure module: no sockets, no libevent, no allocation per header. Parsed heads hold
// string_views into the caller's buffer, so the buffer must stay put (and unchanged) for as
// long as the head is used; the header vector is reused between parses.
//
// Strictness is a request-smuggling defence: anything two HTTP implementations could read
// differently is refused rather than guessed at. Decisions, in one place:
//
//  * Lines end in CRLF only. A bare LF or a bare CR anywhere in a head is an error, as is NUL
//    or any other control character except HTAB inside a field value.
//  * Empty lines (CRLF) before the request line are skipped, as RFC 9112 §2.2 recommends for
//    clients that send a stray CRLF after a body; they count towards max_head_bytes and are
//    included in head_length.
//  * Request line: `token SP origin-form SP HTTP/1.x CRLF` with exactly one space between the
//    parts. Versions other than HTTP/1.0 and HTTP/1.1 written as `HTTP/d.d` get 505; any other
//    version text gets 400. CONNECT gets 501 (switchboard does not tunnel). Absolute-form,
//    authority-form and `*` get 400: the proxy routes on path and Host only. The target may
//    hold visible ASCII only (no bytes >= 0x80: clients must percent-encode).
//  * Field lines: a token name immediately followed by ':' (whitespace before the colon is
//    400, RFC 9112 §5.1), no obs-fold (a line starting with SP/HTAB is 400, §5.2), values of
//    HTAB/SP/VCHAR/obs-text with leading and trailing SP/HTAB trimmed.
//  * Content-Length: a comma list of 1*DIGIT values that fit in uint64; repeated headers and
//    list members must all be equal and are folded into one value; anything else is 400.
//  * Transfer-Encoding in a request: exactly one header whose value is `chunked`
//    (case-insensitive). SPEC §3 asks for 400 for any other value, where RFC 9112 §6.1 would
//    allow 501 for a coding the server does not know. Content-Length together with
//    Transfer-Encoding is 400 (§6.3 allows a server to process it, but the two readings are
//    exactly what request smuggling exploits). Transfer-Encoding in an HTTP/1.0 request is
//    400 (§6.1: the framing must be treated as faulty).
//  * Host: an HTTP/1.1 request needs exactly one; HTTP/1.0 may omit it; two are always 400. Its
//    value may hold only the characters of `uri-host [ ":" port ]` (RFC 3986) other than ',',
//    so a value with spaces, '/', '@' or a comma-separated second host cannot confuse routing.
//  * Expect: `100-continue` (case-insensitive, anywhere in the list) sets expect_continue for
//    HTTP/1.1; it is ignored for HTTP/1.0 (RFC 9110 §10.1.1). Other expectations are ignored.
//  * Connection: comma list, case-insensitive. `close` wins over `keep-alive`.
//  * At most kMaxHeaderFields field lines per head (more is 431).
//  * A response head is parsed with the same line and field rules; every error has status
//    502 (the proxy answers the client with Bad Gateway). Status codes outside 100..599 are
//    errors; the reason phrase may be missing (`HTTP/1.1 200\r\n`) or empty.
//
// The parse functions are pure functions of their input and start from scratch on every call:
// the caller passes the whole unconsumed buffer each time more bytes arrive. An Incomplete
// result can only become Complete once an LF arrives, so a caller that wants to avoid
// re-scanning a head trickled in byte by byte may skip the call until the new bytes hold an
// LF or the buffer has grown past max_head_bytes (errors are then merely reported later).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/http/chunked_decoder.h"

namespace switchboard {

// More field lines than this in one head is refused with 431.
inline constexpr std::size_t kMaxHeaderFields = 100;
enum class BodyFraming {
    None,           // no body: requests without CL/TE; HEAD, 1xx, 204 and 304 responses
    ContentLength,  // exactly content_length bytes follow (may be 0)
    Chunked,        // chunked transfer coding: use ChunkedDecoder
    UntilClose,     // responses only: the body ends when the upstream closes the connection
};

struct HeaderField {
    std::string_view name;   // as sent (case preserved)
    std::string_view value;  // leading and trailing SP/HTAB trimmed
};

struct RequestHead {
    std::string_view method;  // a token, case-sensitive ("GET")
    // Origin form: starts with '/', path and query as sent. An absolute-form target
    // (`http://host/x?y`) is given here in origin form (`/x?y`), its authority in `host`.
    std::string_view target;
    int minor_version = 1;                    // HTTP/1.0 -> 0, HTTP/1.1 -> 1
    std::vector<HeaderField> headers;         // in the order sent
    BodyFraming framing = BodyFraming::None;  // None, ContentLength or Chunked
    std::uint64_t content_length = 0;         // meaningful when framing is ContentLength
    // HTTP/1.1: true unless Connection lists `close`; HTTP/1.0: only if it lists `keep-alive`.
    bool keep_alive = true;
    bool expect_continue = false;
    // The Host value, "" when absent (HTTP/1.0 only); for an absolute-form target, the
    // target's authority, which replaces the Host header (RFC 9112 §3.2.2).
    std::string_view host;
    bool absolute_form = false;  // the target was absolute-form: Host is not passed on as sent
    bool asterisk_form = false;  // `OPTIONS *`: for switchboard itself to answer
    // Backs `target` when the origin form is not a piece of the buffer (`http://a?x` -> `/?x`).
    // `target` may point into it, so a RequestHead is parsed into where it is used (the
    // connection's own), not copied.
    std::string origin_target;

    // The first field whose name equals `name` case-insensitively, or nullptr.
    const HeaderField* find(std::string_view name) const;
};

struct ResponseHead {
    int status = 0;
    std::string_view reason;  // may be empty
    int minor_version = 1;
    std::vector<HeaderField> headers;
    BodyFraming framing = BodyFraming::None;
    std::uint64_t content_length = 0;  // the Content-Length value if one was sent (even for HEAD)
    // False when the upstream connection cannot be reused after this response: Connection:
    // close, HTTP/1.0 without keep-alive, a body delimited by close, or CL together with TE.
    bool keep_alive = true;

    const HeaderField* find(std::string_view name) const;
};

struct HttpParseError {
    int status = 0;       // requests: 400, 414, 431, 501 or 505; responses: always 502
    std::string message;  // short, for the log ("whitespace before colon in header field")
};

enum class ParseResult { Incomplete, Complete, Error };

// Parses the request head at the start of `data`.
// Complete: `head_length` is the number of bytes of the head, including any skipped leading
// CRLFs and the final empty line; the body (if any) starts at data[head_length]. Views in
// `out` point into `data`.
// Incomplete: no full head yet and data.size() <= max_head_bytes; call again with more bytes.
// Error: `error` says what and which status to answer. Errors on a line are reported as soon
// as that line (or the offending byte) is in `data`, before the head is complete. A head that
// cannot end within max_head_bytes is 414 while the request line itself is unfinished, 431
// afterwards.
ParseResult parseRequestHead(std::string_view data, std::size_t max_head_bytes, RequestHead& out,
                             std::size_t& head_length, HttpParseError& error);

// Parses an upstream's response head at the start of `data`; same contract as
// parseRequestHead. `request_method_head` is true when the request was HEAD: the response then
// has no body whatever its headers say, as do 1xx, 204 and 304 responses.
// Framing otherwise: Transfer-Encoding whose final coding is chunked -> Chunked (a coding
// other than chunked before it, e.g. `gzip, chunked`, stays in the body: the proxy must pass it
// on); Transfer-Encoding not ending in chunked -> UntilClose; Content-Length -> ContentLength;
// neither -> UntilClose. With both TE and CL, TE wins and keep_alive is false (RFC 9112 §6.3).
// Errors (status 502): malformed or over-long heads, differing Content-Lengths, `chunked`
// applied twice, an empty Transfer-Encoding, Transfer-Encoding in an HTTP/1.0 response.
ParseResult parseResponseHead(std::string_view data, std::size_t max_head_bytes,
                              bool request_method_head, ResponseHead& out, std::size_t& head_length,
                              HttpParseError& error);

}  // namespace switchboard
