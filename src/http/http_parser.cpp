// SPDX-License-Identifier: Apache-2.0
#include "switchboard/http/http_parser.h"

#include "switchboard/http/http_chars.h"

namespace switchboard {

namespace {

constexpr std::size_t kInitialHeaderCapacity = 32;

const HeaderField* findField(const std::vector<HeaderField>& headers, std::string_view name) {
    for (const HeaderField& field : headers) {
        if (equalsIgnoreCase(field.name, name))
            return &field;
    }
    return nullptr;
}

// How far a head parse got. Ok means the construct was parsed and `pos` moved past it.
enum class Step { Ok, Incomplete, Error };

// What a parse error becomes: requests answer with 400 (and 431 for too many fields);
// a bad upstream response is always 502.
struct ErrorStatus {
    int malformed;
    int too_large;
};

constexpr ErrorStatus kRequestErrors{400, 431};
constexpr ErrorStatus kResponseErrors{502, 502};

Step fail(HttpParseError& error, int status, const char* message) {
    error.status = status;
    error.message = message;
    return Step::Error;
}

// An unexpected byte `c` where a line was being read: names the usual suspects, else `what`.
Step failOnByte(char c, int status, const char* what, HttpParseError& error) {
    if (c == '\n')
        return fail(error, status, "bare LF in message head");
    if (c == '\0')
        return fail(error, status, "NUL in message head");
    return fail(error, status, what);
}

// At data[pos] == '\r': expects LF next and moves past both.
Step consumeCrlf(std::string_view data, std::size_t& pos, int status, HttpParseError& error) {
    if (pos + 1 >= data.size())
        return Step::Incomplete;
    if (data[pos + 1] != '\n')
        return fail(error, status, "bare CR in message head");
    pos += 2;
    return Step::Ok;
}

// At a byte that ended a run of allowed characters: CRLF is the line end, anything else is
// an error described by `what`.
Step endOfLine(std::string_view data, std::size_t& pos, int status, const char* what,
               HttpParseError& error) {
    if (pos == data.size())
        return Step::Incomplete;
    if (data[pos] == '\r')
        return consumeCrlf(data, pos, status, error);
    return failOnByte(data[pos], status, what, error);
}

// Field lines from `pos` up to and including the empty line that ends the head.
Step parseFieldLines(std::string_view data, std::size_t& pos, std::vector<HeaderField>& headers,
                     ErrorStatus statuses, HttpParseError& error) {
    const int bad = statuses.malformed;
    for (;;) {
        if (pos == data.size())
            return Step::Incomplete;
        char c = data[pos];
        if (c == '\r')
            return consumeCrlf(data, pos, bad, error);
        if (c == '\n')
            return fail(error, bad, "bare LF in message head");
        if (isOws(c))
            return fail(error, bad, "obsolete line folding in header field");
        if (headers.size() >= kMaxHeaderFields)
            return fail(error, statuses.too_large, "too many header fields");

        std::size_t name_begin = pos;
        while (pos < data.size() && isIn(kTokenChars, data[pos]))
            ++pos;
        if (pos == data.size())
            return Step::Incomplete;
        c = data[pos];
        if (c != ':') {
            if (isOws(c))
                return fail(error, bad, "whitespace before colon in header field");
            if (c == '\r')
                return fail(error, bad, "header field without colon");
            return failOnByte(c, bad, "invalid character in header field name", error);
        }
        if (pos == name_begin)
            return fail(error, bad, "empty header field name");
        std::string_view name = data.substr(name_begin, pos - name_begin);
        ++pos;

        std::size_t value_begin = pos;
        while (pos < data.size() && isIn(kFieldValueChars, data[pos]))
            ++pos;
        std::size_t value_end = pos;
        Step step = endOfLine(data, pos, bad, "invalid character in header field value", error);
        if (step != Step::Ok)
            return step;
        headers.push_back({name, trimOws(data.substr(value_begin, value_end - value_begin))});
    }
}

// What a version text is: one we speak, another `HTTP/d.d`, or no HTTP version at all.
enum class Version { Http10, Http11, Unsupported, Malformed };

Version classifyVersion(std::string_view text) {
    if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !isDigit(text[5]) || text[6] != '.' ||
        !isDigit(text[7]))
        return Version::Malformed;
    if (text[5] == '1' && text[7] == '0')
        return Version::Http10;
    if (text[5] == '1' && text[7] == '1')
        return Version::Http11;
    return Version::Unsupported;
}

// Framing-relevant facts gathered from the header fields, shared by requests and responses.
struct FieldFacts {
    int host_count = 0;
    std::string_view host;
    bool has_content_length = false;
    std::uint64_t content_length = 0;
    int transfer_encoding_count = 0;
    std::string_view transfer_encoding;  // the first one
    bool te_empty_element = false;       // over all TE headers
    int te_chunked_count = 0;
    bool te_final_chunked = false;  // the last element of the last TE header is chunked
    bool connection_close = false;
    bool connection_keep_alive = false;
    bool expect_continue = false;
};

// Parses a Content-Length value into `facts`; false if it is malformed or disagrees with one
// seen before.
bool addContentLength(std::string_view value, FieldFacts& facts, HttpParseError& error,
                      int status) {
    return forEachListElement(value, [&](std::string_view element) {
        if (element.empty()) {
            fail(error, status, "empty Content-Length");
            return false;
        }
        std::uint64_t length = 0;
        for (char c : element) {
            if (!isDigit(c)) {
                fail(error, status, "invalid Content-Length");
                return false;
            }
            auto digit = static_cast<std::uint64_t>(c - '0');
            if (length > (UINT64_MAX - digit) / 10) {
                fail(error, status, "Content-Length too large");
                return false;
            }
            length = length * 10 + digit;
        }
        if (facts.has_content_length && facts.content_length != length) {
            fail(error, status, "conflicting Content-Length values");
            return false;
        }
        facts.has_content_length = true;
        facts.content_length = length;
        return true;
    });
}

Step gatherFieldFacts(const std::vector<HeaderField>& headers, FieldFacts& facts, int status,
                      HttpParseError& error) {
    for (const HeaderField& field : headers) {
        std::string_view name = field.name;
        switch (name.size()) {
        case 4:
            if (equalsLower(name, "host")) {
                if (++facts.host_count == 1)
                    facts.host = field.value;
            }
            break;
        case 6:
            if (equalsLower(name, "expect") && listHasToken(field.value, "100-continue"))
                facts.expect_continue = true;
            break;
        case 10:
            if (equalsLower(name, "connection")) {
                forEachListElement(field.value, [&](std::string_view element) {
                    if (equalsLower(element, "close"))
                        facts.connection_close = true;
                    else if (equalsLower(element, "keep-alive"))
                        facts.connection_keep_alive = true;
                    return true;
                });
            }
            break;
        case 14:
            if (equalsLower(name, "content-length") &&
                !addContentLength(field.value, facts, error, status))
                return Step::Error;
            break;
        case 17:
            if (equalsLower(name, "transfer-encoding")) {
                if (++facts.transfer_encoding_count == 1)
                    facts.transfer_encoding = field.value;
                forEachListElement(field.value, [&](std::string_view element) {
                    bool chunked = equalsLower(element, "chunked");
                    if (element.empty())
                        facts.te_empty_element = true;
                    if (chunked)
                        ++facts.te_chunked_count;
                    facts.te_final_chunked = chunked;
                    return true;
                });
            }
            break;
        default:
            break;
        }
    }
    return Step::Ok;
}

bool isValidHost(std::string_view host) {
    for (char c : host) {
        if (!isIn(kHostChars, c))
            return false;
    }
    return true;
}

// An absolute-form target (RFC 9112 §3.2.2): `http://` or `https://` (scheme case-insensitive),
// an authority of host characters (no userinfo: '@' is not one), then the path and query. On
// success `out.target` becomes the origin form and `authority` the host[:port] to route by.
bool splitAbsoluteForm(RequestHead& out, std::string_view& authority) {
    std::string_view rest = out.target;
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
        if (rest.size() >= scheme.size() && equalsLower(rest.substr(0, scheme.size()), scheme)) {
            rest.remove_prefix(scheme.size());
            std::size_t end = rest.find_first_of("/?");
            authority = rest.substr(0, end);
            if (authority.empty() || !isValidHost(authority))
                return false;
            std::string_view origin = end == std::string_view::npos ? "" : rest.substr(end);
            if (!origin.empty() && origin[0] == '/') {
                out.target = origin;
            } else {
                out.origin_target.assign("/");
                out.origin_target.append(origin);
                out.target = out.origin_target;
            }
            out.absolute_form = true;
            return true;
        }
    }
    return false;
}

void prepareHeaders(std::vector<HeaderField>& headers) {
    headers.clear();
    if (headers.capacity() < kInitialHeaderCapacity)
        headers.reserve(kInitialHeaderCapacity);
}

// The request head at the start of `data`, which the caller has already cut to the size
// limit. `request_line_done` tells a too-long request line from too many header bytes.
Step parseRequest(std::string_view data, RequestHead& out, std::size_t& pos,
                  bool& request_line_done, HttpParseError& error) {
    constexpr int bad = 400;
    pos = 0;
    request_line_done = false;

    // RFC 9112 §2.2: ignore empty lines before the request line.
    while (pos < data.size() && data[pos] == '\r') {
        Step step = consumeCrlf(data, pos, bad, error);
        if (step != Step::Ok)
            return step;
    }

    std::size_t method_begin = pos;
    while (pos < data.size() && isIn(kTokenChars, data[pos]))
        ++pos;
    if (pos == data.size())
        return Step::Incomplete;
    if (pos == method_begin || data[pos] != ' ')
        return failOnByte(data[pos], bad, "malformed request line", error);
    out.method = data.substr(method_begin, pos - method_begin);
    ++pos;

    std::size_t target_begin = pos;
    while (pos < data.size() && isIn(kVisibleChars, data[pos]))
        ++pos;
    if (pos == data.size())
        return Step::Incomplete;
    if (pos == target_begin || data[pos] != ' ') {
        char c = data[pos];
        bool bad_char = pos != target_begin && c != '\r';
        return failOnByte(
            c, bad, bad_char ? "invalid character in request target" : "malformed request line",
            error);
    }
    out.target = data.substr(target_begin, pos - target_begin);
    ++pos;

    std::size_t version_begin = pos;
    while (pos < data.size() && isIn(kVisibleChars, data[pos]))
        ++pos;
    std::size_t version_end = pos;
    Step step = endOfLine(data, pos, bad, "malformed request line", error);
    if (step != Step::Ok)
        return step;
    request_line_done = true;

    switch (classifyVersion(data.substr(version_begin, version_end - version_begin))) {
    case Version::Http10:
        out.minor_version = 0;
        break;
    case Version::Http11:
        out.minor_version = 1;
        break;
    case Version::Unsupported:
        return fail(error, 505, "HTTP version not supported");
    case Version::Malformed:
        return fail(error, bad, "malformed HTTP version");
    }
    if (out.method == "CONNECT")
        return fail(error, 501, "CONNECT is not supported");
    std::string_view authority;
    if (out.target[0] != '/') {
        if (out.target == "*") {
            if (out.method != "OPTIONS")
                return fail(error, bad, "asterisk-form request target is not supported");
            out.asterisk_form = true;
        } else if (!splitAbsoluteForm(out, authority)) {
            return fail(error, bad, "request target is not in origin-form or absolute-form");
        }
    }

    step = parseFieldLines(data, pos, out.headers, kRequestErrors, error);
    if (step != Step::Ok)
        return step;

    FieldFacts facts;
    if (gatherFieldFacts(out.headers, facts, bad, error) != Step::Ok)
        return Step::Error;

    if (facts.transfer_encoding_count > 0) {
        if (facts.has_content_length)
            return fail(error, bad, "both Content-Length and Transfer-Encoding");
        if (out.minor_version == 0)
            return fail(error, bad, "Transfer-Encoding in an HTTP/1.0 request");
        if (facts.transfer_encoding_count > 1)
            return fail(error, bad, "more than one Transfer-Encoding header");
        // SPEC §3: anything but exactly `chunked` is 400 (RFC 9112 §6.1 would permit 501 for a
        // coding we do not implement).
        if (!equalsLower(facts.transfer_encoding, "chunked"))
            return fail(error, bad, "unsupported Transfer-Encoding");
        out.framing = BodyFraming::Chunked;
    } else if (facts.has_content_length) {
        out.framing = BodyFraming::ContentLength;
        out.content_length = facts.content_length;
    }

    if (facts.host_count > 1)
        return fail(error, bad, "more than one Host header");
    if (facts.host_count == 0 && out.minor_version == 1)
        return fail(error, bad, "missing Host header");
    if (!isValidHost(facts.host))
        return fail(error, bad, "invalid Host header");
    out.host = out.absolute_form ? authority : facts.host;

    if (out.minor_version == 1)
        out.keep_alive = !facts.connection_close;
    else
        out.keep_alive = facts.connection_keep_alive && !facts.connection_close;
    out.expect_continue = out.minor_version == 1 && facts.expect_continue;
    return Step::Ok;
}

Step parseResponse(std::string_view data, bool request_method_head, ResponseHead& out,
                   std::size_t& pos, HttpParseError& error) {
    constexpr int bad = 502;
    pos = 0;

    std::size_t version_begin = pos;
    while (pos < data.size() && isIn(kVisibleChars, data[pos]))
        ++pos;
    if (pos == data.size())
        return Step::Incomplete;
    if (data[pos] != ' ')
        return failOnByte(data[pos], bad, "malformed status line", error);
    switch (classifyVersion(data.substr(version_begin, pos - version_begin))) {
    case Version::Http10:
        out.minor_version = 0;
        break;
    case Version::Http11:
        out.minor_version = 1;
        break;
    case Version::Unsupported:
    case Version::Malformed:
        return fail(error, bad, "unsupported HTTP version in status line");
    }
    ++pos;

    int status = 0;
    std::size_t status_begin = pos;
    while (pos < data.size() && isDigit(data[pos]) && pos - status_begin < 3) {
        status = status * 10 + (data[pos] - '0');
        ++pos;
    }
    if (pos == data.size())
        return Step::Incomplete;
    if (pos - status_begin != 3)
        return fail(error, bad, "malformed status code");
    if (status < 100 || status > 599)
        return fail(error, bad, "status code out of range");
    out.status = status;

    std::size_t reason_begin = pos;
    if (data[pos] == ' ') {
        ++pos;
        reason_begin = pos;
        while (pos < data.size() && isIn(kFieldValueChars, data[pos]))
            ++pos;
    }
    std::size_t reason_end = pos;
    Step step = endOfLine(data, pos, bad, "malformed status line", error);
    if (step != Step::Ok)
        return step;
    out.reason = data.substr(reason_begin, reason_end - reason_begin);

    step = parseFieldLines(data, pos, out.headers, kResponseErrors, error);
    if (step != Step::Ok)
        return step;

    FieldFacts facts;
    if (gatherFieldFacts(out.headers, facts, bad, error) != Step::Ok)
        return Step::Error;
    if (facts.transfer_encoding_count > 0) {
        if (out.minor_version == 0)
            return fail(error, bad, "Transfer-Encoding in an HTTP/1.0 response");
        if (facts.te_empty_element)
            return fail(error, bad, "empty Transfer-Encoding element");
        if (facts.te_chunked_count > 1)
            return fail(error, bad, "chunked applied more than once");
    }
    out.content_length = facts.content_length;

    out.keep_alive = out.minor_version == 1
                         ? !facts.connection_close
                         : facts.connection_keep_alive && !facts.connection_close;
    if (request_method_head || status < 200 || status == 204 || status == 304) {
        out.framing = BodyFraming::None;
    } else if (facts.transfer_encoding_count > 0) {
        // RFC 9112 §6.3: TE overrides CL, and such a message may be an attempt at smuggling,
        // so the connection is not reused.
        if (facts.has_content_length)
            out.keep_alive = false;
        out.framing = facts.te_final_chunked ? BodyFraming::Chunked : BodyFraming::UntilClose;
    } else if (facts.has_content_length) {
        out.framing = BodyFraming::ContentLength;
    } else {
        out.framing = BodyFraming::UntilClose;
    }
    if (out.framing == BodyFraming::UntilClose)
        out.keep_alive = false;
    return Step::Ok;
}

// What a head parse over the bytes within the limit says, once going on could not help.
ParseResult headResult(Step step, std::size_t pos, std::size_t& head_length) {
    switch (step) {
    case Step::Ok:
        head_length = pos;
        return ParseResult::Complete;
    case Step::Error:
        return ParseResult::Error;
    case Step::Incomplete:
        break;
    }
    return ParseResult::Incomplete;
}

}  // namespace

const HeaderField* RequestHead::find(std::string_view name) const {
    return findField(headers, name);
}

const HeaderField* ResponseHead::find(std::string_view name) const {
    return findField(headers, name);
}

ParseResult parseRequestHead(std::string_view data, std::size_t max_head_bytes, RequestHead& out,
                             std::size_t& head_length, HttpParseError& error) {
    out.method = {};
    out.target = {};
    out.minor_version = 1;
    out.absolute_form = false;
    out.asterisk_form = false;
    prepareHeaders(out.headers);
    out.framing = BodyFraming::None;
    out.content_length = 0;
    out.keep_alive = true;
    out.expect_continue = false;
    out.host = {};

    // Bytes past the limit cannot belong to an acceptable head, so they are never looked at.
    std::string_view limited = data.substr(0, max_head_bytes);
    std::size_t pos = 0;
    bool request_line_done = false;
    const Step step = parseRequest(limited, out, pos, request_line_done, error);
    if (step == Step::Incomplete && data.size() > max_head_bytes) {
        if (request_line_done)
            fail(error, 431, "request header fields too large");
        else
            fail(error, 414, "request line too long");
        return ParseResult::Error;
    }
    return headResult(step, pos, head_length);
}

ParseResult parseResponseHead(std::string_view data, std::size_t max_head_bytes,
                              bool request_method_head, ResponseHead& out, std::size_t& head_length,
                              HttpParseError& error) {
    out.status = 0;
    out.reason = {};
    out.minor_version = 1;
    prepareHeaders(out.headers);
    out.framing = BodyFraming::None;
    out.content_length = 0;
    out.keep_alive = true;

    std::string_view limited = data.substr(0, max_head_bytes);
    std::size_t pos = 0;
    const Step step = parseResponse(limited, request_method_head, out, pos, error);
    if (step == Step::Incomplete && data.size() > max_head_bytes) {
        fail(error, 502, "response head too large");
        return ParseResult::Error;
    }
    return headResult(step, pos, head_length);
}

}  // namespace switchboard
