// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "switchboard/http/http_chars.h"
#include "switchboard/http/http_parser.h"

using namespace switchboard;
using namespace std::string_literals;

namespace {

constexpr std::size_t kLimit = 8192;

struct ParsedRequest {
    ParseResult result = ParseResult::Incomplete;
    RequestHead head;
    std::size_t length = 0;
    HttpParseError error;
};

ParsedRequest parseRequest(std::string_view data, std::size_t limit = kLimit) {
    ParsedRequest parsed;
    parsed.result = parseRequestHead(data, limit, parsed.head, parsed.length, parsed.error);
    return parsed;
}

struct ParsedResponse {
    ParseResult result = ParseResult::Incomplete;
    ResponseHead head;
    std::size_t length = 0;
    HttpParseError error;
};

ParsedResponse parseResponse(std::string_view data, bool head_request = false,
                             std::size_t limit = kLimit) {
    ParsedResponse parsed;
    parsed.result =
        parseResponseHead(data, limit, head_request, parsed.head, parsed.length, parsed.error);
    return parsed;
}

std::string describe(const std::vector<HeaderField>& headers) {
    std::string text;
    for (const HeaderField& field : headers) {
        text.append(field.name).append("=").append(field.value).append("|");
    }
    return text;
}

// Every observable field, so that two parses can be compared in one EXPECT_EQ.
std::string describe(const RequestHead& head) {
    return std::string(head.method) + " " + std::string(head.target) + " 1." +
           std::to_string(head.minor_version) +
           " framing=" + std::to_string(static_cast<int>(head.framing)) +
           " cl=" + std::to_string(head.content_length) + " ka=" + std::to_string(head.keep_alive) +
           " expect=" + std::to_string(head.expect_continue) + " host=" + std::string(head.host) +
           " " + describe(head.headers);
}

std::string describe(const ResponseHead& head) {
    return std::to_string(head.status) + " " + std::string(head.reason) + " 1." +
           std::to_string(head.minor_version) +
           " framing=" + std::to_string(static_cast<int>(head.framing)) +
           " cl=" + std::to_string(head.content_length) + " ka=" + std::to_string(head.keep_alive) +
           " " + describe(head.headers);
}

std::string withHeaders(std::string_view start, std::string_view fields) {
    return std::string(start) + "\r\n" + std::string(fields) + "\r\n";
}

std::string getWith(std::string_view fields) {
    return withHeaders("GET / HTTP/1.1", "Host: a\r\n" + std::string(fields));
}

std::string postWith(std::string_view fields) {
    return withHeaders("POST /upload HTTP/1.1", "Host: a\r\n" + std::string(fields));
}

// ---------------------------------------------------------------------------------------------
// Requests that must be refused, and with which status.

struct RejectCase {
    const char* name;
    std::string raw;
    int status;
};

std::ostream& operator<<(std::ostream& out, const RejectCase& c) {
    return out << c.name;
}

std::vector<RejectCase> requestRejectCases() {
    return {
        // Framing: the smuggling classics.
        {"ClAndTe", postWith("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"TeAndCl", postWith("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400},
        {"ClZeroAndTe", postWith("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"ClDiffering", postWith("Content-Length: 5\r\nContent-Length: 6\r\n"), 400},
        {"ClListDiffering", postWith("Content-Length: 5, 6\r\n"), 400},
        {"ClListEmptyElement", postWith("Content-Length: 5,,5\r\n"), 400},
        {"ClListTrailingComma", postWith("Content-Length: 5,\r\n"), 400},
        {"ClEmpty", postWith("Content-Length:\r\n"), 400},
        {"ClBlank", postWith("Content-Length:   \r\n"), 400},
        {"ClPlus", postWith("Content-Length: +5\r\n"), 400},
        {"ClMinus", postWith("Content-Length: -5\r\n"), 400},
        {"ClSpaceInside", postWith("Content-Length: 5 5\r\n"), 400},
        {"ClHex", postWith("Content-Length: 0x5\r\n"), 400},
        {"ClDecimalPoint", postWith("Content-Length: 5.0\r\n"), 400},
        {"ClOverflow", postWith("Content-Length: 18446744073709551616\r\n"), 400},
        {"ClHugeOverflow", postWith("Content-Length: 99999999999999999999999\r\n"), 400},
        {"ClSpaceBeforeColon", postWith("Content-Length : 5\r\n"), 400},
        {"TeXchunked", postWith("Transfer-Encoding: xchunked\r\n"), 400},
        {"TeChunkedChunked", postWith("Transfer-Encoding: chunked, chunked\r\n"), 400},
        {"TeGzipChunked", postWith("Transfer-Encoding: gzip, chunked\r\n"), 400},
        {"TeChunkedGzip", postWith("Transfer-Encoding: chunked, gzip\r\n"), 400},
        {"TeIdentity", postWith("Transfer-Encoding: identity\r\n"), 400},
        {"TeTwoHeaders", postWith("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
         400},
        {"TeTwoHeadersDifferent",
         postWith("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"TeEmpty", postWith("Transfer-Encoding:\r\n"), 400},
        {"TeTrailingComma", postWith("Transfer-Encoding: chunked,\r\n"), 400},
        {"TeQuoted", postWith("Transfer-Encoding: \"chunked\"\r\n"), 400},
        {"TeParameter", postWith("Transfer-Encoding: chunked;q=1\r\n"), 400},
        {"TeSpaceInside", postWith("Transfer-Encoding: chun ked\r\n"), 400},
        {"TeSpaceBeforeColon", postWith("Transfer-Encoding : chunked\r\n"), 400},
        {"TeTabBeforeColon", postWith("Transfer-Encoding\t: chunked\r\n"), 400},
        {"TeInHttp10", withHeaders("POST / HTTP/1.0", "Host: a\r\nTransfer-Encoding: chunked\r\n"),
         400},
        {"TeVerticalTab", postWith("Transfer-Encoding:\vchunked\r\n"), 400},
        // Line structure.
        {"ObsFoldSpace", getWith("X-A: one\r\n two\r\n"), 400},
        {"ObsFoldTab", getWith("X-A: one\r\n\ttwo\r\n"), 400},
        {"ObsFoldTeContinuation", postWith("Transfer-Encoding:\r\n chunked\r\n"), 400},
        {"WhitespaceBeforeFirstField", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
        {"NulInValue", getWith("X-A: a\0b\r\n"s), 400},
        {"NulInName", getWith("X-\0A: b\r\n"s), 400},
        {"NulInTarget", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400},
        {"NulInMethod", "G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"s, 400},
        {"NulAtLineStart", "GET / HTTP/1.1\r\nHost: a\r\n\0\r\n\r\n"s, 400},
        {"BareCrInValue", getWith("X-A: a\rb\r\n"), 400},
        {"BareCrEndsField", "GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", 400},
        {"BareCrEndsRequestLine", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400},
        {"BareCrEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400},
        {"BareCrLeading", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"BareLfEndsRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
        {"BareLfEndsField", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400},
        {"BareLfEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
        {"BareLfEverywhere", "GET / HTTP/1.1\nHost: a\n\n", 400},
        {"BareLfLeading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"BareLfInValue", getWith("X-A: a\nb\r\n"), 400},
        // Field names and values.
        {"EmptyFieldName", getWith(": value\r\n"), 400},
        {"FieldWithoutColon", getWith("X-A value\r\n"), 400},
        {"FieldNameOnly", getWith("X-A\r\n"), 400},
        {"NonTokenInName", getWith("X(A): b\r\n"), 400},
        {"SlashInName", getWith("X/A: b\r\n"), 400},
        {"HighByteInName", getWith("X\xc3\xa9: b\r\n"), 400},
        {"ControlInValue", getWith("X-A: a\x01b\r\n"), 400},
        {"DelInValue", getWith("X-A: a\x7f\r\n"), 400},
        {"EscInValue", getWith("X-A: \x1b[31m\r\n"), 400},
        // Request line.
        // SPEC §14: absolute-form is accepted (below); other schemes, userinfo and an empty
        // authority are not. The asterisk form is OPTIONS's alone.
        {"AbsoluteFormOtherScheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"AbsoluteFormUserinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"AbsoluteFormEmptyAuthority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"AbsoluteFormWithoutHost", "GET http://a/ HTTP/1.1\r\n\r\n", 400},
        {"AuthorityForm", "OPTIONS a:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"AsteriskFormGet", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"RelativeTarget", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"Connect", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501},
        {"ConnectOriginForm", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
        {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        {"Http12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
        {"Http09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
        {"Http30", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
        {"VersionLowercase", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
        {"VersionNoMinor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400},
        {"VersionTwoDigitMinor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
        {"VersionTwoDigitMajor", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400},
        {"VersionGarbage", "GET / FOO\r\nHost: a\r\n\r\n", 400},
        {"VersionTrailingSpace", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
        {"VersionMissing", "GET /\r\nHost: a\r\n\r\n", 400},
        {"VersionMissingAfterSpace", "GET / \r\nHost: a\r\n\r\n", 400},
        {"OnlyMethod", "GET\r\nHost: a\r\n\r\n", 400},
        {"DoubleSpaceAfterMethod", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"DoubleSpaceAfterTarget", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"TabSeparator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"LeadingSpace", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"NonTokenMethod", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"HighByteInTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"ControlInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"DelInTarget", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"TabInTarget", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        // Host.
        {"HostMissing", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400},
        {"HostDuplicate", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"HostDuplicateSame", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400},
        {"HostDuplicateHttp10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"HostWithComma", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400},
        {"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        {"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400},
        {"HostWithHighByte", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400},
        {"HostSpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    };
}

class HttpParserRequestReject : public ::testing::TestWithParam<RejectCase> {};

TEST_P(HttpParserRequestReject, RefusesWithStatus) {
    const RejectCase& c = GetParam();
    ParsedRequest parsed = parseRequest(c.raw);
    ASSERT_EQ(parsed.result, ParseResult::Error) << describe(parsed.head);
    EXPECT_EQ(parsed.error.status, c.status) << parsed.error.message;
    EXPECT_FALSE(parsed.error.message.empty());
}

// Fed byte by byte, a bad head never looks acceptable: each prefix is Incomplete or the same
// error, and the complete text is the error.
TEST_P(HttpParserRequestReject, EveryPrefixIsIncompleteOrTheSameError) {
    const RejectCase& c = GetParam();
    for (std::size_t i = 0; i < c.raw.size(); ++i) {
        ParsedRequest parsed = parseRequest(std::string_view(c.raw).substr(0, i));
        ASSERT_NE(parsed.result, ParseResult::Complete) << "prefix " << i;
        if (parsed.result == ParseResult::Error) {
            EXPECT_EQ(parsed.error.status, c.status) << "prefix " << i;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(HttpParser, HttpParserRequestReject,
                         ::testing::ValuesIn(requestRejectCases()),
                         [](const ::testing::TestParamInfo<RejectCase>& info) {
                             return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------------------------
// Requests that must be accepted, and what they mean.

struct AcceptCase {
    const char* name;
    std::string raw;
    BodyFraming framing;
    std::uint64_t content_length;
    bool keep_alive;
};

std::ostream& operator<<(std::ostream& out, const AcceptCase& c) {
    return out << c.name;
}

std::vector<AcceptCase> requestAcceptCases() {
    using F = BodyFraming;
    return {
        {"SimpleGet", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", F::None, 0, true},
        {"GetWithQuery", "GET /a/b?x=1&y=%20#f HTTP/1.1\r\nHost: a\r\n\r\n", F::None, 0, true},
        {"PostContentLength", postWith("Content-Length: 5\r\n"), F::ContentLength, 5, true},
        {"PostContentLengthZero", postWith("Content-Length: 0\r\n"), F::ContentLength, 0, true},
        {"PostContentLengthLeadingZeros", postWith("Content-Length: 007\r\n"), F::ContentLength, 7,
         true},
        {"PostContentLengthMax", postWith("Content-Length: 18446744073709551615\r\n"),
         F::ContentLength, 18446744073709551615ULL, true},
        {"ClRepeatedIdentical", postWith("Content-Length: 5\r\nContent-Length: 5\r\n"),
         F::ContentLength, 5, true},
        {"ClListIdentical", postWith("Content-Length: 5, 5\r\n"), F::ContentLength, 5, true},
        {"ClListIdenticalNoSpace", postWith("Content-Length: 5,5,5\r\n"), F::ContentLength, 5,
         true},
        {"ClListAndHeaderIdentical", postWith("content-length: 5,5\r\nCONTENT-LENGTH: 5\r\n"),
         F::ContentLength, 5, true},
        {"ClWithOws", postWith("Content-Length: \t 5 \t\r\n"), F::ContentLength, 5, true},
        {"PostChunked", postWith("Transfer-Encoding: chunked\r\n"), F::Chunked, 0, true},
        {"TeUppercase", postWith("Transfer-Encoding: CHUNKED\r\n"), F::Chunked, 0, true},
        {"TeNameLowercase", postWith("transfer-encoding: Chunked\r\n"), F::Chunked, 0, true},
        {"TeTrailingOws", postWith("Transfer-Encoding: chunked \r\n"), F::Chunked, 0, true},
        {"TeLeadingOws", postWith("Transfer-Encoding:  chunked\r\n"), F::Chunked, 0, true},
        {"TeNoOws", postWith("Transfer-Encoding:chunked\r\n"), F::Chunked, 0, true},
        {"TeTabOws", postWith("Transfer-Encoding:\tchunked\r\n"), F::Chunked, 0, true},
        {"TeTabBothSides", postWith("Transfer-Encoding:\tchunked\t\r\n"), F::Chunked, 0, true},
        {"Http10NoHost", "GET / HTTP/1.0\r\n\r\n", F::None, 0, false},
        {"Http10KeepAlive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", F::None, 0, true},
        {"Http10KeepAliveMixedCase", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", F::None, 0,
         true},
        {"Http10KeepAliveAndClose", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
         F::None, 0, false},
        {"Http10OtherToken", "GET / HTTP/1.0\r\nConnection: Upgrade\r\n\r\n", F::None, 0, false},
        {"Http10PostContentLength", "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n",
         F::ContentLength, 3, false},
        {"Http11Close", getWith("Connection: close\r\n"), F::None, 0, false},
        {"Http11CloseUppercase", getWith("Connection: CLOSE\r\n"), F::None, 0, false},
        {"Http11KeepAliveList", getWith("Connection: keep-alive, Upgrade\r\n"), F::None, 0, true},
        {"Http11CloseInList", getWith("Connection: Upgrade,close\r\n"), F::None, 0, false},
        {"Http11CloseInSecondHeader", getWith("Connection: keep-alive\r\nConnection: close\r\n"),
         F::None, 0, false},
        {"Http11NotQuiteClose", getWith("Connection: closed\r\n"), F::None, 0, true},
        {"LeadingEmptyLine", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", F::None, 0, true},
        {"LeadingEmptyLines", "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", F::None, 0, true},
        {"CustomMethod", "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", F::None, 0, true},
        {"HostWithPort", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", F::None, 0, true},
        {"HostIpv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", F::None, 0, true},
        {"HostEmpty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", F::None, 0, true},
        {"ObsTextInValue", getWith("X-Name: caf\xc3\xa9\xff\r\n"), F::None, 0, true},
        {"EmptyValue", getWith("X-Empty:\r\n"), F::None, 0, true},
        {"AllTokenCharsInName", getWith("!#$%&'*+-.^_`|~09azAZ: v\r\n"), F::None, 0, true},
    };
}

class HttpParserRequestAccept : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(HttpParserRequestAccept, ParsesFraming) {
    const AcceptCase& c = GetParam();
    ParsedRequest parsed = parseRequest(c.raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete)
        << parsed.error.status << " " << parsed.error.message;
    EXPECT_EQ(parsed.length, c.raw.size());
    EXPECT_EQ(parsed.head.framing, c.framing);
    EXPECT_EQ(parsed.head.content_length, c.content_length);
    EXPECT_EQ(parsed.head.keep_alive, c.keep_alive);
}

// A head split at any byte boundary is Incomplete until its last byte arrives, and then gives
// exactly what one parse of the whole gives, even into a reused RequestHead.
TEST_P(HttpParserRequestAccept, EveryPrefixIsIncompleteThenCompleteIdentically) {
    const AcceptCase& c = GetParam();
    ParsedRequest whole = parseRequest(c.raw);
    ASSERT_EQ(whole.result, ParseResult::Complete);

    RequestHead reused;
    std::size_t length = 0;
    HttpParseError error;
    for (std::size_t i = 0; i < c.raw.size(); ++i) {
        ASSERT_EQ(
            parseRequestHead(std::string_view(c.raw).substr(0, i), kLimit, reused, length, error),
            ParseResult::Incomplete)
            << "prefix " << i << ": " << error.message;
    }
    ASSERT_EQ(parseRequestHead(c.raw, kLimit, reused, length, error), ParseResult::Complete);
    EXPECT_EQ(length, whole.length);
    EXPECT_EQ(describe(reused), describe(whole.head));
}

// Bytes after the head (a body, the next pipelined request) are not part of it.
TEST_P(HttpParserRequestAccept, StopsAtTheEndOfTheHead) {
    const AcceptCase& c = GetParam();
    std::string data = c.raw + "hello" + c.raw;
    ParsedRequest parsed = parseRequest(data);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.length, c.raw.size());
    EXPECT_EQ(describe(parsed.head), describe(parseRequest(c.raw).head));
}

INSTANTIATE_TEST_SUITE_P(HttpParser, HttpParserRequestAccept,
                         ::testing::ValuesIn(requestAcceptCases()),
                         [](const ::testing::TestParamInfo<AcceptCase>& info) {
                             return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------------------------
// Requests: the parsed fields.

TEST(HttpParserRequest, ParsesAllParts) {
    std::string raw = "POST /api/v1/items?id=7 HTTP/1.1\r\n"
                      "Host: Example.COM:8080\r\n"
                      "User-Agent:   curl/8.0  \r\n"
                      "X-Tab:\tvalue with spaces\t\r\n"
                      "Content-Length: 11\r\n"
                      "\r\n"
                      "hello world";
    ParsedRequest parsed = parseRequest(raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    const RequestHead& head = parsed.head;
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.target, "/api/v1/items?id=7");
    EXPECT_EQ(head.minor_version, 1);
    EXPECT_EQ(head.host, "Example.COM:8080");
    EXPECT_EQ(head.framing, BodyFraming::ContentLength);
    EXPECT_EQ(head.content_length, 11u);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_FALSE(head.expect_continue);
    ASSERT_EQ(head.headers.size(), 4u);
    EXPECT_EQ(head.headers[0].name, "Host");
    EXPECT_EQ(head.headers[1].name, "User-Agent");
    EXPECT_EQ(head.headers[1].value, "curl/8.0");
    EXPECT_EQ(head.headers[2].value, "value with spaces");
    EXPECT_EQ(head.headers[3].name, "Content-Length");
    EXPECT_EQ(raw.substr(parsed.length), "hello world");
    // Views point into the caller's buffer: nothing was copied.
    EXPECT_EQ(head.method.data(), raw.data());
    EXPECT_EQ(head.host.data(), raw.data() + raw.find("Example"));
}

TEST(HttpParserRequest, FindIsCaseInsensitiveAndReturnsTheFirst) {
    std::string raw = getWith("X-Dup: one\r\nx-dup: two\r\n");
    ParsedRequest parsed = parseRequest(raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    const HeaderField* field = parsed.head.find("X-DUP");
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->value, "one");
    EXPECT_EQ(parsed.head.find("host")->value, "a");
    EXPECT_EQ(parsed.head.find("X-Missing"), nullptr);
    EXPECT_EQ(parsed.head.find("X-Du"), nullptr);
}

TEST(HttpParserRequest, Http10) {
    std::string raw = "GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n";
    ParsedRequest parsed = parseRequest(raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.head.minor_version, 0);
    EXPECT_EQ(parsed.head.host, "");
    EXPECT_FALSE(parsed.head.keep_alive);
}

TEST(HttpParserRequest, ExpectContinue) {
    for (const char* value : {"100-continue", "100-Continue", " 100-CONTINUE "}) {
        std::string raw = postWith("Content-Length: 5\r\nExpect:" + std::string(value) + "\r\n");
        ParsedRequest parsed = parseRequest(raw);
        ASSERT_EQ(parsed.result, ParseResult::Complete) << value;
        EXPECT_TRUE(parsed.head.expect_continue) << value;
    }
    ParsedRequest other = parseRequest(postWith("Content-Length: 5\r\nExpect: 200-ok\r\n"));
    ASSERT_EQ(other.result, ParseResult::Complete);
    EXPECT_FALSE(other.head.expect_continue);

    // RFC 9110 §10.1.1: ignored in an HTTP/1.0 request.
    ParsedRequest old =
        parseRequest("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_EQ(old.result, ParseResult::Complete);
    EXPECT_FALSE(old.head.expect_continue);
}

TEST(HttpParserRequest, LeadingEmptyLinesAreCountedInTheHeadLength) {
    std::string raw = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    ParsedRequest parsed = parseRequest(raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.length, raw.size());
    EXPECT_EQ(parsed.head.method, "GET");
}

TEST(HttpParserRequest, ReusedHeadIsResetBetweenParses) {
    RequestHead head;
    std::size_t length = 0;
    HttpParseError error;
    std::string first = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                        "Expect: 100-continue\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(parseRequestHead(first, kLimit, head, length, error), ParseResult::Complete);
    EXPECT_EQ(head.framing, BodyFraming::Chunked);
    EXPECT_FALSE(head.keep_alive);
    EXPECT_TRUE(head.expect_continue);

    std::string second = "GET /x HTTP/1.1\r\nHost: b\r\n\r\n";
    ASSERT_EQ(parseRequestHead(second, kLimit, head, length, error), ParseResult::Complete);
    EXPECT_EQ(describe(head), describe(parseRequest(second).head));
    EXPECT_EQ(head.framing, BodyFraming::None);
    EXPECT_TRUE(head.keep_alive);
    EXPECT_FALSE(head.expect_continue);
    EXPECT_EQ(head.headers.size(), 1u);
}

TEST(HttpParserRequest, PipelinedRequestsParseOneAfterAnother) {
    std::string data = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                       "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                       "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    std::string_view rest = data;
    std::vector<std::string> targets;
    RequestHead head;
    std::size_t length = 0;
    HttpParseError error;
    while (!rest.empty()) {
        ASSERT_EQ(parseRequestHead(rest, kLimit, head, length, error), ParseResult::Complete);
        targets.emplace_back(head.target);
        rest.remove_prefix(length);
        if (head.framing == BodyFraming::ContentLength)
            rest.remove_prefix(head.content_length);
    }
    EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
    EXPECT_FALSE(head.keep_alive);
}

TEST(HttpParserRequest, EmptyInputIsIncomplete) {
    EXPECT_EQ(parseRequest("").result, ParseResult::Incomplete);
    EXPECT_EQ(parseRequest("\r\n").result, ParseResult::Incomplete);
    EXPECT_EQ(parseRequest("\r").result, ParseResult::Incomplete);
}

// An error is reported as soon as the offending line is in, without waiting for the end of
// the head.
TEST(HttpParserRequest, ReportsErrorsBeforeTheHeadIsComplete) {
    EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n").result,
              ParseResult::Error);
    EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nX: a\r\n b").result, ParseResult::Error);
    EXPECT_EQ(parseRequest("GET / HTTP/1.1\n").result, ParseResult::Error);
    EXPECT_EQ(parseRequest("GET ftp://a/ HTTP/1.1\r\n").result, ParseResult::Error);
    EXPECT_EQ(parseRequest("GET /\x80").result, ParseResult::Error);
    ParsedRequest version = parseRequest("GET / HTTP/2.0\r\n");
    EXPECT_EQ(version.result, ParseResult::Error);
    EXPECT_EQ(version.error.status, 505);
}

TEST(HttpParserRequest, ListHasToken) {
    EXPECT_TRUE(listHasToken("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(listHasToken("close", "close"));
    EXPECT_TRUE(listHasToken(" a ,\tb\t, c ", "b"));
    EXPECT_FALSE(listHasToken("keep-alive, Upgrade", "Upgrad"));
    EXPECT_FALSE(listHasToken("", "close"));
    EXPECT_FALSE(listHasToken("closed", "close"));
}

// ---------------------------------------------------------------------------------------------
// Requests: limits.

TEST(HttpParserRequestLimits, LongRequestLineIs414) {
    std::string line = "GET /" + std::string(kLimit, 'a');
    // Still within the limit and unfinished: wait for more.
    EXPECT_EQ(parseRequest(std::string_view(line).substr(0, kLimit)).result,
              ParseResult::Incomplete);
    // Over the limit without an end of line: cut off now.
    ParsedRequest parsed = parseRequest(line);
    ASSERT_EQ(parsed.result, ParseResult::Error);
    EXPECT_EQ(parsed.error.status, 414);
    // The same when the line does end, but past the limit.
    ParsedRequest ended = parseRequest(line + " HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(ended.result, ParseResult::Error);
    EXPECT_EQ(ended.error.status, 414);
}

TEST(HttpParserRequestLimits, LongHeadersAre431) {
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(kLimit, 'b');
    // A field that never ends is cut off once it passes the limit.
    ParsedRequest endless = parseRequest(head);
    ASSERT_EQ(endless.result, ParseResult::Error);
    EXPECT_EQ(endless.error.status, 431);
    // A complete head that is too long.
    ParsedRequest complete = parseRequest(head + "\r\n\r\n");
    ASSERT_EQ(complete.result, ParseResult::Error);
    EXPECT_EQ(complete.error.status, 431);
    // Many small fields that add up.
    std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
    while (many.size() <= kLimit)
        many += "X-Field: " + std::string(60, 'v') + "\r\n";
    EXPECT_EQ(parseRequest(many).error.status, 431);
}

TEST(HttpParserRequestLimits, HeadOfExactlyTheLimitIsAccepted) {
    std::string raw = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(100, 'p') + "\r\n\r\n";
    EXPECT_EQ(parseRequest(raw, raw.size()).result, ParseResult::Complete);
    ParsedRequest over = parseRequest(raw, raw.size() - 1);
    ASSERT_EQ(over.result, ParseResult::Error);
    EXPECT_EQ(over.error.status, 431);
    // Under the limit the head is simply not finished yet.
    EXPECT_EQ(parseRequest(std::string_view(raw).substr(0, raw.size() - 1), raw.size() - 1).result,
              ParseResult::Incomplete);
}

TEST(HttpParserRequestLimits, BodyBytesPastTheLimitDoNotCount) {
    std::string raw = postWith("Content-Length: 100000\r\n") + std::string(100000, 'x');
    ParsedRequest parsed = parseRequest(raw, 256);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.head.content_length, 100000u);
}

TEST(HttpParserRequestLimits, LeadingEmptyLinesCountTowardsTheLimit) {
    std::string raw = std::string(100, '\r') + "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for (std::size_t i = 0; i < 100; i += 2)
        raw[i + 1] = '\n';
    EXPECT_EQ(parseRequest(raw, raw.size()).result, ParseResult::Complete);
    EXPECT_EQ(parseRequest(raw, 110).error.status, 414);
}

std::string requestWithFields(std::size_t count) {
    std::string raw = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (std::size_t i = 1; i < count; ++i)
        raw += "X-" + std::to_string(i) + ": v\r\n";
    return raw + "\r\n";
}

TEST(HttpParserRequestLimits, TooManyHeaderFieldsIs431) {
    ParsedRequest most = parseRequest(requestWithFields(kMaxHeaderFields));
    ASSERT_EQ(most.result, ParseResult::Complete);
    EXPECT_EQ(most.head.headers.size(), kMaxHeaderFields);

    ParsedRequest over = parseRequest(requestWithFields(kMaxHeaderFields + 1));
    ASSERT_EQ(over.result, ParseResult::Error);
    EXPECT_EQ(over.error.status, 431);
}

// ---------------------------------------------------------------------------------------------
// Responses.

struct ResponseCase {
    const char* name;
    std::string raw;
    bool head_request;
    BodyFraming framing;
    bool keep_alive;
};

std::ostream& operator<<(std::ostream& out, const ResponseCase& c) {
    return out << c.name;
}

std::vector<ResponseCase> responseCases() {
    using F = BodyFraming;
    return {
        {"ContentLength", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, F::ContentLength,
         true},
        {"ContentLengthZero", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false,
         F::ContentLength, true},
        {"ClRepeatedIdentical", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
         false, F::ContentLength, true},
        {"Chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, F::Chunked,
         true},
        {"GzipChunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false,
         F::Chunked, true},
        {"GzipThenChunkedHeaders",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", false,
         F::Chunked, true},
        {"TeNotChunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, F::UntilClose,
         false},
        {"TeChunkedNotFinal", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false,
         F::UntilClose, false},
        {"ClAndTeTeWins",
         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false,
         F::Chunked, false},
        {"NoLength", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", false, F::UntilClose, false},
        {"HeadWithContentLength", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true, F::None,
         true},
        {"HeadWithChunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, F::None,
         true},
        {"HeadWithoutLength", "HTTP/1.1 200 OK\r\n\r\n", true, F::None, true},
        {"NoContent", "HTTP/1.1 204 No Content\r\n\r\n", false, F::None, true},
        {"NoContentWithLength", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false,
         F::None, true},
        {"NotModified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false, F::None,
         true},
        {"Continue", "HTTP/1.1 100 Continue\r\n\r\n", false, F::None, true},
        {"SwitchingProtocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false,
         F::None, true},
        {"EarlyHints", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", false, F::None, true},
        {"NotFoundWithLength", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n", false,
         F::ContentLength, true},
        {"Close", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", false,
         F::ContentLength, false},
        {"Http10", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", false, F::ContentLength, false},
        {"Http10KeepAlive",
         "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n", false,
         F::ContentLength, true},
        {"Http10KeepAliveUntilClose", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false,
         F::UntilClose, false},
        {"NoReason", "HTTP/1.1 200\r\nContent-Length: 5\r\n\r\n", false, F::ContentLength, true},
        {"EmptyReason", "HTTP/1.1 200 \r\nContent-Length: 5\r\n\r\n", false, F::ContentLength,
         true},
        {"CustomStatus", "HTTP/1.1 599 Whatever\r\nContent-Length: 5\r\n\r\n", false,
         F::ContentLength, true},
    };
}

class HttpParserResponseAccept : public ::testing::TestWithParam<ResponseCase> {};

TEST_P(HttpParserResponseAccept, ParsesFraming) {
    const ResponseCase& c = GetParam();
    ParsedResponse parsed = parseResponse(c.raw, c.head_request);
    ASSERT_EQ(parsed.result, ParseResult::Complete) << parsed.error.message;
    EXPECT_EQ(parsed.length, c.raw.size());
    EXPECT_EQ(parsed.head.framing, c.framing);
    EXPECT_EQ(parsed.head.keep_alive, c.keep_alive);
}

TEST_P(HttpParserResponseAccept, EveryPrefixIsIncompleteThenCompleteIdentically) {
    const ResponseCase& c = GetParam();
    ParsedResponse whole = parseResponse(c.raw, c.head_request);
    ASSERT_EQ(whole.result, ParseResult::Complete);
    ResponseHead reused;
    std::size_t length = 0;
    HttpParseError error;
    for (std::size_t i = 0; i < c.raw.size(); ++i) {
        ASSERT_EQ(parseResponseHead(std::string_view(c.raw).substr(0, i), kLimit, c.head_request,
                                    reused, length, error),
                  ParseResult::Incomplete)
            << "prefix " << i << ": " << error.message;
    }
    ASSERT_EQ(parseResponseHead(c.raw, kLimit, c.head_request, reused, length, error),
              ParseResult::Complete);
    EXPECT_EQ(length, whole.length);
    EXPECT_EQ(describe(reused), describe(whole.head));
}

INSTANTIATE_TEST_SUITE_P(HttpParser, HttpParserResponseAccept, ::testing::ValuesIn(responseCases()),
                         [](const ::testing::TestParamInfo<ResponseCase>& info) {
                             return std::string(info.param.name);
                         });

std::vector<RejectCase> responseRejectCases() {
    return {
        {"ClDiffering", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 502},
        {"ClListDiffering", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", 502},
        {"ClNotDigits", "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n", 502},
        {"ClNegative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 502},
        {"ClOverflow", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", 502},
        {"TeChunkedTwice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 502},
        {"TeChunkedTwoHeaders",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
         502},
        {"TeEmpty", "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", 502},
        {"TeEmptyElement", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,,chunked\r\n\r\n", 502},
        {"TeInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502},
        {"Http20", "HTTP/2.0 200 OK\r\n\r\n", 502},
        {"Http12", "HTTP/1.2 200 OK\r\n\r\n", 502},
        {"NotHttp", "ICY 200 OK\r\n\r\n", 502},
        {"VersionOnly", "HTTP/1.1\r\n\r\n", 502},
        {"StatusTwoDigits", "HTTP/1.1 20 OK\r\n\r\n", 502},
        {"StatusFourDigits", "HTTP/1.1 2000 OK\r\n\r\n", 502},
        {"StatusLetters", "HTTP/1.1 2x0 OK\r\n\r\n", 502},
        {"StatusBelow100", "HTTP/1.1 099 Low\r\n\r\n", 502},
        {"StatusAbove599", "HTTP/1.1 600 High\r\n\r\n", 502},
        {"DoubleSpaceBeforeStatus", "HTTP/1.1  200 OK\r\n\r\n", 502},
        {"ControlInReason", "HTTP/1.1 200 O\x01K\r\n\r\n", 502},
        {"BareLfStatusLine", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 502},
        {"BareLfField", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", 502},
        {"BareCr", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", 502},
        {"Nul", "HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n"s, 502},
        {"ObsFold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 502},
        {"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 502},
    };
}

class HttpParserResponseReject : public ::testing::TestWithParam<RejectCase> {};

TEST_P(HttpParserResponseReject, RefusesWith502) {
    const RejectCase& c = GetParam();
    ParsedResponse parsed = parseResponse(c.raw);
    ASSERT_EQ(parsed.result, ParseResult::Error) << describe(parsed.head);
    EXPECT_EQ(parsed.error.status, c.status) << parsed.error.message;
    for (std::size_t i = 0; i < c.raw.size(); ++i) {
        ASSERT_NE(parseResponse(std::string_view(c.raw).substr(0, i)).result, ParseResult::Complete)
            << "prefix " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(HttpParser, HttpParserResponseReject,
                         ::testing::ValuesIn(responseRejectCases()),
                         [](const ::testing::TestParamInfo<RejectCase>& info) {
                             return std::string(info.param.name);
                         });

TEST(HttpParserResponse, ParsesAllParts) {
    std::string raw = "HTTP/1.1 404 Not Found Here\r\n"
                      "Content-Type: application/json\r\n"
                      "Content-Length: 2\r\n"
                      "\r\n"
                      "{}";
    ParsedResponse parsed = parseResponse(raw);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.head.status, 404);
    EXPECT_EQ(parsed.head.reason, "Not Found Here");
    EXPECT_EQ(parsed.head.minor_version, 1);
    EXPECT_EQ(parsed.head.content_length, 2u);
    ASSERT_EQ(parsed.head.headers.size(), 2u);
    EXPECT_EQ(parsed.head.find("content-type")->value, "application/json");
    EXPECT_EQ(raw.substr(parsed.length), "{}");
}

TEST(HttpParserResponse, HeadResponseKeepsItsContentLength) {
    ParsedResponse parsed = parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true);
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.head.framing, BodyFraming::None);
    EXPECT_EQ(parsed.head.content_length, 1234u);
}

TEST(HttpParserResponse, NoReasonPhrase) {
    ParsedResponse parsed = parseResponse("HTTP/1.1 503\r\n\r\n");
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_EQ(parsed.head.status, 503);
    EXPECT_EQ(parsed.head.reason, "");
}

TEST(HttpParserResponse, LimitsAre502) {
    std::string big = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(kLimit, 'b');
    ParsedResponse parsed = parseResponse(big);
    ASSERT_EQ(parsed.result, ParseResult::Error);
    EXPECT_EQ(parsed.error.status, 502);

    std::string many = "HTTP/1.1 200 OK\r\n";
    for (std::size_t i = 0; i <= kMaxHeaderFields; ++i)
        many += "X-" + std::to_string(i) + ": v\r\n";
    many += "\r\n";
    ParsedResponse too_many = parseResponse(many);
    ASSERT_EQ(too_many.result, ParseResult::Error);
    EXPECT_EQ(too_many.error.status, 502);
}

TEST(HttpParserResponse, ContinueThenFinalResponseInOneBuffer) {
    std::string data =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    ParsedResponse first = parseResponse(data);
    ASSERT_EQ(first.result, ParseResult::Complete);
    EXPECT_EQ(first.head.status, 100);
    ParsedResponse second = parseResponse(std::string_view(data).substr(first.length));
    ASSERT_EQ(second.result, ParseResult::Complete);
    EXPECT_EQ(second.head.status, 201);
    EXPECT_EQ(second.length, data.size() - first.length);
}

// ---------------------------------------------------------------------------------------------
// Chunked bodies.

struct Decoded {
    std::string payload;
    std::size_t consumed = 0;
    bool done = false;
    bool failed = false;
    std::string error;
};

// Feeds `body` in pieces of at most `piece` bytes, the way a socket would deliver it.
Decoded decode(std::string_view body, std::size_t piece = SIZE_MAX) {
    ChunkedDecoder decoder;
    Decoded decoded;
    std::vector<std::string_view> spans;
    while (decoded.consumed < body.size() && !decoder.done() && !decoder.failed()) {
        std::string_view input = body.substr(decoded.consumed, piece);
        spans.clear();
        std::size_t consumed = decoder.feed(input, spans);
        for (std::string_view span : spans) {
            EXPECT_FALSE(span.empty());
            EXPECT_GE(span.data(), input.data());
            EXPECT_LE(span.data() + span.size(), input.data() + input.size());
            decoded.payload.append(span);
        }
        decoded.consumed += consumed;
        if (!decoder.done() && !decoder.failed()) {
            EXPECT_EQ(consumed, input.size());
        }
    }
    decoded.done = decoder.done();
    decoded.failed = decoder.failed();
    decoded.error = decoder.error();
    if (!decoded.failed) {
        EXPECT_EQ(decoder.payloadBytes(), decoded.payload.size());
    }
    return decoded;
}

struct ChunkedCase {
    const char* name;
    std::string body;
    std::string payload;  // for good bodies
};

std::ostream& operator<<(std::ostream& out, const ChunkedCase& c) {
    return out << c.name;
}

std::vector<ChunkedCase> goodChunkedCases() {
    return {
        {"Simple", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
        {"Empty", "0\r\n\r\n", ""},
        {"ManyZeros", "000\r\n\r\n", ""},
        {"LeadingZeros", "0005\r\nhello\r\n0\r\n\r\n", "hello"},
        {"LowercaseHex", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
        {"UppercaseHex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
        {"MultiDigitHex", "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
         "abcdefghijklmnopqrstuvwxyz"},
        {"BinaryPayload", "4\r\n\r\n\0\n\r\n0\r\n\r\n"s, "\r\n\0\n"s},
        {"PayloadLooksLikeChunks", "a\r\n0\r\n\r\nXXXXX\r\n0\r\n\r\n", "0\r\n\r\nXXXXX"},
        {"Extension", "5;name=value\r\nhello\r\n0\r\n\r\n", "hello"},
        {"ExtensionNoValue", "5;flag\r\nhello\r\n0\r\n\r\n", "hello"},
        {"ExtensionQuoted", "5;a=\"x y;z\"\r\nhello\r\n0\r\n\r\n", "hello"},
        {"ExtensionsWithBws", "5 ; a=b ;\tc\r\nhello\r\n0\r\n\r\n", "hello"},
        {"ExtensionOnLastChunk", "5\r\nhello\r\n0;end=1\r\n\r\n", "hello"},
        {"Trailer", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n", "hello"},
        {"Trailers", "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B:\t2 3\r\nX-Empty:\r\n\r\n", "hello"},
    };
}

class ChunkedDecoderGood : public ::testing::TestWithParam<ChunkedCase> {};

TEST_P(ChunkedDecoderGood, DecodesInOneFeed) {
    const ChunkedCase& c = GetParam();
    Decoded decoded = decode(c.body);
    EXPECT_TRUE(decoded.done) << decoded.error;
    EXPECT_FALSE(decoded.failed);
    EXPECT_EQ(decoded.payload, c.payload);
    EXPECT_EQ(decoded.consumed, c.body.size());
}

TEST_P(ChunkedDecoderGood, DecodesByteByByte) {
    const ChunkedCase& c = GetParam();
    Decoded decoded = decode(c.body, 1);
    EXPECT_TRUE(decoded.done) << decoded.error;
    EXPECT_EQ(decoded.payload, c.payload);
    EXPECT_EQ(decoded.consumed, c.body.size());
}

TEST_P(ChunkedDecoderGood, DecodesSplitAtEveryBoundary) {
    const ChunkedCase& c = GetParam();
    for (std::size_t split = 0; split <= c.body.size(); ++split) {
        ChunkedDecoder decoder;
        std::vector<std::string_view> spans;
        std::string_view body = c.body;
        std::size_t first = decoder.feed(body.substr(0, split), spans);
        ASSERT_EQ(first, split) << "split " << split;
        std::size_t second = decoder.feed(body.substr(split), spans);
        EXPECT_EQ(first + second, body.size()) << "split " << split;
        EXPECT_TRUE(decoder.done()) << "split " << split << ": " << decoder.error();
        std::string payload;
        for (std::string_view span : spans)
            payload.append(span);
        EXPECT_EQ(payload, c.payload) << "split " << split;
    }
}

// What follows the body (the next pipelined request) is left for the caller.
TEST_P(ChunkedDecoderGood, StopsAtTheEndOfTheBody) {
    const ChunkedCase& c = GetParam();
    std::string data = c.body + "GET / HTTP/1.1\r\n";
    ChunkedDecoder decoder;
    std::vector<std::string_view> spans;
    EXPECT_EQ(decoder.feed(data, spans), c.body.size());
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(decoder.feed("more", spans), 0u);
}

INSTANTIATE_TEST_SUITE_P(ChunkedDecoder, ChunkedDecoderGood,
                         ::testing::ValuesIn(goodChunkedCases()),
                         [](const ::testing::TestParamInfo<ChunkedCase>& info) {
                             return std::string(info.param.name);
                         });

std::vector<ChunkedCase> badChunkedCases() {
    return {
        {"BadHex", "g\r\nhello\r\n0\r\n\r\n", ""},
        {"BadHexAfterDigit", "5g\r\nhello\r\n0\r\n\r\n", ""},
        {"EmptySize", "\r\nhello\r\n0\r\n\r\n", ""},
        {"LeadingSpace", " 5\r\nhello\r\n0\r\n\r\n", ""},
        {"LeadingTab", "\t5\r\nhello\r\n0\r\n\r\n", ""},
        {"LeadingPlus", "+5\r\nhello\r\n0\r\n\r\n", ""},
        {"LeadingMinus", "-5\r\nhello\r\n0\r\n\r\n", ""},
        {"HexPrefix", "0x5\r\nhello\r\n0\r\n\r\n", ""},
        {"TrailingSpace", "5 \r\nhello\r\n0\r\n\r\n", ""},
        {"TrailingJunkAfterSpace", "5 x\r\nhello\r\n0\r\n\r\n", ""},
        {"TwoNumbers", "5 5\r\nhello\r\n0\r\n\r\n", ""},
        {"Overflow2To63", "8000000000000000\r\n", ""},
        {"Overflow2To64", "10000000000000000\r\n", ""},
        {"OverflowAllF", "ffffffffffffffffff\r\n", ""},
        {"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n", ""},
        {"BareCrAfterSize", "5\rhello\r\n0\r\n\r\n", ""},
        {"BareLfInExtension", "5;a\nhello\r\n0\r\n\r\n", ""},
        {"NulInExtension", "5;a\0\r\nhello\r\n0\r\n\r\n"s, ""},
        {"MissingCrlfAfterData", "5\r\nhelloX\r\n0\r\n\r\n", ""},
        {"DataTooLong", "3\r\nhello\r\n0\r\n\r\n", ""},
        {"BareLfAfterData", "5\r\nhello\n0\r\n\r\n", ""},
        {"BareCrAfterData", "5\r\nhello\r0\r\n\r\n", ""},
        {"TrailerObsFold", "0\r\nX-A: 1\r\n 2\r\n\r\n", ""},
        {"TrailerWithoutColon", "0\r\nX-A\r\n\r\n", ""},
        {"TrailerSpaceBeforeColon", "0\r\nX-A : 1\r\n\r\n", ""},
        {"TrailerBareLf", "0\r\nX-A: 1\n\r\n", ""},
        {"TrailerNul", "0\r\nX-A: \0\r\n\r\n"s, ""},
        {"FinalBareLf", "0\r\n\n", ""},
        {"FinalBareCr", "0\r\n\rX", ""},
    };
}

class ChunkedDecoderBad : public ::testing::TestWithParam<ChunkedCase> {};

TEST_P(ChunkedDecoderBad, Fails) {
    const ChunkedCase& c = GetParam();
    Decoded decoded = decode(c.body);
    EXPECT_TRUE(decoded.failed);
    EXPECT_FALSE(decoded.done);
    EXPECT_FALSE(decoded.error.empty());
    EXPECT_LT(decoded.consumed, c.body.size());
}

TEST_P(ChunkedDecoderBad, FailsByteByByteAtTheSamePlace) {
    const ChunkedCase& c = GetParam();
    Decoded whole = decode(c.body);
    Decoded pieces = decode(c.body, 1);
    EXPECT_TRUE(pieces.failed);
    EXPECT_EQ(pieces.consumed, whole.consumed);
    EXPECT_EQ(pieces.error, whole.error);
}

INSTANTIATE_TEST_SUITE_P(ChunkedDecoder, ChunkedDecoderBad, ::testing::ValuesIn(badChunkedCases()),
                         [](const ::testing::TestParamInfo<ChunkedCase>& info) {
                             return std::string(info.param.name);
                         });

TEST(ChunkedDecoder, LargestChunkSizeIsAccepted) {
    ChunkedDecoder decoder;
    std::vector<std::string_view> spans;
    std::string size_line = "7fffffffffffffff\r\n";
    EXPECT_EQ(decoder.feed(size_line, spans), size_line.size());
    EXPECT_FALSE(decoder.failed()) << decoder.error();
    EXPECT_EQ(decoder.state(), ChunkedDecoder::State::Data);
    EXPECT_EQ(decoder.feed("abc", spans), 3u);
    EXPECT_EQ(decoder.payloadBytes(), 3u);
}

TEST(ChunkedDecoder, OverflowMessage) {
    Decoded decoded = decode("8000000000000000\r\n");
    EXPECT_TRUE(decoded.failed);
    EXPECT_EQ(decoded.error, "chunk size too large");
}

TEST(ChunkedDecoder, ExtensionLengthIsBounded) {
    std::string at_limit =
        "5;" + std::string(kMaxChunkSizeLineBytes - 2, 'x') + "\r\nhello\r\n0\r\n\r\n";
    Decoded ok = decode(at_limit);
    EXPECT_TRUE(ok.done) << ok.error;
    EXPECT_EQ(ok.payload, "hello");

    std::string over =
        "5;" + std::string(kMaxChunkSizeLineBytes - 1, 'x') + "\r\nhello\r\n0\r\n\r\n";
    Decoded bad = decode(over);
    EXPECT_TRUE(bad.failed);
    EXPECT_EQ(bad.error, "chunk size line too long");
    EXPECT_TRUE(decode(over, 7).failed);
}

TEST(ChunkedDecoder, EndlessLeadingZerosAreBounded) {
    Decoded bad = decode(std::string(kMaxChunkSizeLineBytes + 1, '0'));
    EXPECT_TRUE(bad.failed);
}

TEST(ChunkedDecoder, ExtensionBoundIsPerChunk) {
    std::string ext = ";" + std::string(kMaxChunkSizeLineBytes - 2, 'x');
    std::string body;
    for (int i = 0; i < 5; ++i)
        body += "1" + ext + "\r\na\r\n";
    body += "0" + ext + "\r\n\r\n";
    Decoded decoded = decode(body);
    EXPECT_TRUE(decoded.done) << decoded.error;
    EXPECT_EQ(decoded.payload, "aaaaa");
}

TEST(ChunkedDecoder, TrailerSectionIsBounded) {
    std::string small = "0\r\nX-A: " + std::string(100, 'v') + "\r\n\r\n";
    EXPECT_TRUE(decode(small).done);

    std::string body = "0\r\n";
    while (body.size() < kMaxChunkTrailerBytes + 100)
        body += "X-A: " + std::string(100, 'v') + "\r\n";
    body += "\r\n";
    Decoded bad = decode(body);
    EXPECT_TRUE(bad.failed);
    EXPECT_EQ(bad.error, "trailer section too large");
}

TEST(ChunkedDecoder, IncompleteBodyIsNeitherDoneNorFailed) {
    for (std::string body :
         {"5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n",
          "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX-A: 1\r\n", "5\r\nhello\r\n0\r\n\r"}) {
        ChunkedDecoder decoder;
        std::vector<std::string_view> spans;
        EXPECT_EQ(decoder.feed(body, spans), body.size()) << body;
        EXPECT_FALSE(decoder.done()) << body;
        EXPECT_FALSE(decoder.failed()) << body;
    }
}

TEST(ChunkedDecoder, LargeChunkAcrossManyFeeds) {
    std::string payload(100000, 'z');
    std::string body = "186a0\r\n" + payload + "\r\n0\r\n\r\n";
    Decoded decoded = decode(body, 4096);
    EXPECT_TRUE(decoded.done);
    EXPECT_EQ(decoded.payload, payload);
}

TEST(ChunkedDecoder, FailedDecoderConsumesNothingMore) {
    ChunkedDecoder decoder;
    std::vector<std::string_view> spans;
    EXPECT_EQ(decoder.feed("zz", spans), 0u);
    EXPECT_TRUE(decoder.failed());
    EXPECT_EQ(decoder.feed("5\r\nhello\r\n0\r\n\r\n", spans), 0u);
    EXPECT_TRUE(spans.empty());
}

TEST(ChunkedDecoder, ResetStartsOver) {
    ChunkedDecoder decoder;
    std::vector<std::string_view> spans;
    decoder.feed("5\r\nhello\r\n0\r\n\r\n", spans);
    ASSERT_TRUE(decoder.done());
    decoder.reset();
    EXPECT_FALSE(decoder.done());
    EXPECT_EQ(decoder.payloadBytes(), 0u);
    spans.clear();
    EXPECT_EQ(decoder.feed("2\r\nhi\r\n0\r\n\r\n", spans), 12u);
    EXPECT_TRUE(decoder.done());
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0], "hi");

    decoder.reset();
    decoder.feed("x", spans);
    ASSERT_TRUE(decoder.failed());
    decoder.reset();
    EXPECT_FALSE(decoder.failed());
    EXPECT_TRUE(decoder.error().empty());
}

}  // namespace

// SPEC §14 (RFC 9112 §3.2.2): an absolute-form target is accepted, its authority replaces
// Host, and the target becomes the origin form the upstream gets.
struct AbsoluteFormCase {
    const char* target;
    const char* origin;
    const char* host;
};

TEST(HttpParserRequest, AbsoluteFormGivesOriginFormAndTheAuthorityAsHost) {
    const AbsoluteFormCase cases[] = {
        {"http://b.example/app/x?y=1", "/app/x?y=1", "b.example"},
        {"HTTPS://b.example:8443/app", "/app", "b.example:8443"},
        {"http://[::1]:8080/app", "/app", "[::1]:8080"},
        {"http://b.example?x=1", "/?x=1", "b.example"},
        {"http://b.example", "/", "b.example"},
    };
    for (const auto& c : cases) {
        std::string text = std::string("GET ") + c.target + " HTTP/1.1\r\nHost: a.example\r\n\r\n";
        RequestHead head;
        std::size_t length = 0;
        HttpParseError error;
        ASSERT_EQ(parseRequestHead(text, kLimit, head, length, error), ParseResult::Complete)
            << c.target << ": " << error.message;
        EXPECT_EQ(head.target, c.origin) << c.target;
        EXPECT_EQ(head.host, c.host) << c.target;
        EXPECT_TRUE(head.absolute_form) << c.target;
        EXPECT_EQ(length, text.size());
    }
}

TEST(HttpParserRequest, OriginFormIsNotAbsoluteForm) {
    ParsedRequest parsed = parseRequest("GET /app HTTP/1.1\r\nHost: a.example\r\n\r\n");
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_FALSE(parsed.head.absolute_form);
    EXPECT_FALSE(parsed.head.asterisk_form);
    EXPECT_EQ(parsed.head.host, "a.example");
}

TEST(HttpParserRequest, OptionsAsteriskIsAcceptedForSwitchboardToAnswer) {
    ParsedRequest parsed = parseRequest("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(parsed.result, ParseResult::Complete);
    EXPECT_TRUE(parsed.head.asterisk_form);
    EXPECT_EQ(parsed.head.target, "*");
}

// The client side needs the method of a refused request: a HEAD gets the error's head alone.
TEST(HttpParserRequest, TheMethodIsKnownWhenALaterPartIsRefused) {
    RequestHead head;
    std::size_t length = 0;
    HttpParseError error;
    std::string text = "HEAD / HTTP/1.1\r\n\r\n";  // no Host
    ASSERT_EQ(parseRequestHead(text, kLimit, head, length, error), ParseResult::Error);
    EXPECT_EQ(error.status, 400);
    EXPECT_EQ(head.method, "HEAD");
}
