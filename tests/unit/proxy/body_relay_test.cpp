// SPDX-License-Identifier: Apache-2.0
// BodyRelay moves one message body between two buffers, with the pump its framing picked.
// No sockets: the buffers are filled and read here as a socket would.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "switchboard/base/libevent.h"
#include "switchboard/proxy/body_relay.h"

using namespace switchboard;

namespace {

struct Buffers {
    EvbufferPtr input{evbuffer_new()};
    EvbufferPtr output{evbuffer_new()};

    void arrive(std::string_view bytes) { evbuffer_add(input.get(), bytes.data(), bytes.size()); }
    static std::string text(evbuffer* buffer) {
        std::string bytes(evbuffer_get_length(buffer), '\0');
        evbuffer_copyout(buffer, bytes.data(), bytes.size());
        return bytes;
    }
    std::string sent() const { return text(output.get()); }
    std::string left() const { return text(input.get()); }
};

}  // namespace

TEST(BodyRelay, ContentLengthStopsAtTheBodyAndLeavesTheNextMessage) {
    Buffers buffers;
    BodyRelay relay;
    relay.startRequest(HopFraming::ContentLength, 10, 1 << 20);
    EXPECT_FALSE(relay.done());
    buffers.arrive("0123");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::More);
    EXPECT_EQ(relay.remaining(), 6u);
    buffers.arrive("456789GET / HTTP/1.1\r\n");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Done);
    EXPECT_TRUE(relay.done());
    EXPECT_EQ(buffers.sent(), "0123456789");
    EXPECT_EQ(buffers.left(), "GET / HTTP/1.1\r\n");
    EXPECT_EQ(relay.bytes(), 10u);
}

TEST(BodyRelay, EmptyContentLengthAndNoBodyAreDoneAtOnce) {
    BodyRelay relay;
    relay.startRequest(HopFraming::ContentLength, 0, 1 << 20);
    EXPECT_TRUE(relay.done());
    relay.startRequest(HopFraming::None, 0, 1 << 20);
    EXPECT_TRUE(relay.done());

    Buffers buffers;
    buffers.arrive("HTTP/1.1 200 OK\r\n");
    relay.startResponse(BodyFraming::None, HopFraming::None, 0);
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Done);
    EXPECT_EQ(buffers.sent(), "");
    EXPECT_EQ(buffers.left(), "HTTP/1.1 200 OK\r\n");
}

// The upstream never sees the client's chunk boundaries, extensions or trailers: each piece
// of payload is a chunk of switchboard's own making.
TEST(BodyRelay, ChunkedRequestIsChunkedAgainWithoutExtensionsOrTrailers) {
    Buffers buffers;
    BodyRelay relay;
    relay.startRequest(HopFraming::Chunked, 0, 1 << 20);
    buffers.arrive("3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\nNEXT");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Done);
    EXPECT_EQ(buffers.sent(), "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    EXPECT_EQ(buffers.left(), "NEXT");
    EXPECT_EQ(relay.bytes(), 5u);
}

TEST(BodyRelay, ChunkedRequestTrickledByteByByteArrivesWhole) {
    Buffers buffers;
    BodyRelay relay;
    relay.startRequest(HopFraming::Chunked, 0, 1 << 20);
    const std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    for (std::size_t i = 0; i < body.size(); ++i) {
        buffers.arrive(body.substr(i, 1));
        auto step = relay.relay(buffers.input.get(), buffers.output.get());
        EXPECT_EQ(step, i + 1 == body.size() ? BodyRelay::Step::Done : BodyRelay::Step::More)
            << "after byte " << i;
    }
    // Payload, whatever its chunking on the way, and nothing else.
    std::string payload;
    std::string sent = buffers.sent();
    for (std::size_t pos = 0;;) {
        std::size_t line_end = sent.find("\r\n", pos);
        std::size_t size = std::stoul(sent.substr(pos, line_end - pos), nullptr, 16);
        if (size == 0)
            break;
        payload += sent.substr(line_end + 2, size);
        pos = line_end + 2 + size + 2;
    }
    EXPECT_EQ(payload, "hello world");
}

TEST(BodyRelay, ChunkedRequestOverItsLimitIsTooLarge) {
    Buffers buffers;
    BodyRelay relay;
    relay.startRequest(HopFraming::Chunked, 0, 4);
    buffers.arrive("5\r\nhello\r\n");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::TooLarge);
}

TEST(BodyRelay, MalformedChunkIsRefusedWithAReason) {
    Buffers buffers;
    BodyRelay relay;
    relay.startRequest(HopFraming::Chunked, 0, 1 << 20);
    buffers.arrive("zz\r\nhello\r\n");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Malformed);
    EXPECT_FALSE(relay.error().empty());
}

TEST(BodyRelay, ChunkedResponseToAChunkedClientPassesAsItCame) {
    Buffers buffers;
    BodyRelay relay;
    relay.startResponse(BodyFraming::Chunked, HopFraming::Chunked, 0);
    const std::string body = "3;ext\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n";
    buffers.arrive(body + "HTTP/1.1");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Done);
    EXPECT_EQ(buffers.sent(), body);
    EXPECT_EQ(buffers.left(), "HTTP/1.1");
    EXPECT_EQ(relay.bytes(), 3u);
}

// An HTTP/1.0 client knows no chunks: it gets the payload, and the close ends it.
TEST(BodyRelay, ChunkedResponseToAnHttp10ClientLosesItsFraming) {
    Buffers buffers;
    BodyRelay relay;
    relay.startResponse(BodyFraming::Chunked, HopFraming::UntilClose, 0);
    buffers.arrive("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::Done);
    EXPECT_EQ(buffers.sent(), "abcdefg");
}

TEST(BodyRelay, UntilCloseMovesEverythingAndNeverEndsByItself) {
    Buffers buffers;
    BodyRelay relay;
    relay.startResponse(BodyFraming::UntilClose, HopFraming::UntilClose, 0);
    buffers.arrive("first ");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::More);
    buffers.arrive("second");
    EXPECT_EQ(relay.relay(buffers.input.get(), buffers.output.get()), BodyRelay::Step::More);
    EXPECT_FALSE(relay.done());
    EXPECT_EQ(buffers.sent(), "first second");
    EXPECT_EQ(relay.bytes(), 12u);
}

TEST(BodyRelay, SplicedBytesCountAsMovedAndNotAsRemaining) {
    BodyRelay relay;
    relay.startResponse(BodyFraming::ContentLength, HopFraming::ContentLength, 100000);
    relay.splicedIn(60000);
    EXPECT_EQ(relay.remaining(), 40000u);
    relay.splicedOut(60000);
    EXPECT_EQ(relay.bytes(), 60000u);
}

TEST(HeadBytes, AreTheHeadWhenItEndedAndEverythingBeforeThat) {
    Buffers buffers;
    buffers.arrive("GET / HTTP/1.1\r\nHost: a\r\n");
    EXPECT_EQ(headBytes(buffers.input.get(), 1000), "GET / HTTP/1.1\r\nHost: a\r\n");
    buffers.arrive("\r\nbody");
    EXPECT_EQ(headBytes(buffers.input.get(), 1000), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    // Cut at the limit (and the four bytes of an end that may stand right behind it).
    EXPECT_EQ(headBytes(buffers.input.get(), 4), "GET / HT");
}
