// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "switchboard/base/libevent.h"
#include "switchboard/net/tls_context.h"

struct sockaddr;

namespace switchboard {

class StreamSocket;

// What a StreamSocket tells its owner. Each call may destroy the socket (the socket checks).
class StreamSocketHandler {
  public:
    virtual ~StreamSocketHandler() = default;
    // An outgoing connection is made, or an accepted TLS connection finished its handshake.
    virtual void onConnected(StreamSocket&) {}
    // New bytes are in input() (or the peer closed: atEof()).
    virtual void onReadable(StreamSocket&) = 0;
    // A write that had to wait went out; output() may be below the caller's mark now.
    virtual void onWritable(StreamSocket&) {}
    // The connection failed, was reset, or timed out. Not called for a clean EOF while
    // reading: that is onReadable with atEof().
    virtual void onError(StreamSocket&, bool timed_out) = 0;
};

// A non-blocking TCP socket with an input and an output evbuffer, registered once with
// epoll edge-triggered for both directions. It may speak TLS (acceptTls): the buffers then
// hold the plain bytes and the socket encrypts and decrypts on its way to the kernel, so the
// HTTP code above works the same on both (SPEC §10).
//
// Why not a bufferevent: a bufferevent switches its write event on when data is queued and
// off when it is written, and asks the kernel how much is readable before each read, which
// on the proxy path costs four epoll_ctl and two ioctl per request on top of the reads and
// writes. Here writes go out at once (queued only when the kernel's buffer is full), reads
// go straight into the buffer until EAGAIN, and the registration never changes.
class StreamSocket {
  public:
    StreamSocket(event_base* base, evutil_socket_t fd, StreamSocketHandler* handler);
    ~StreamSocket();
    StreamSocket(const StreamSocket&) = delete;
    StreamSocket& operator=(const StreamSocket&) = delete;

    // A new socket connecting to `address`; onConnected or onError follows. nullptr when no
    // socket could be made (the error is in errno).
    static StreamSocket* connectTo(event_base* base, const sockaddr* address, int length,
                                   StreamSocketHandler* handler);

    void setHandler(StreamSocketHandler* handler) { handler_ = handler; }
    evutil_socket_t fd() const { return fd_; }
    evbuffer* input() { return input_.get(); }
    evbuffer* output() { return output_.get(); }
    bool atEof() const { return eof_; }
    bool connected() const { return connected_; }
    // A socket without TLS: its bytes may go through a pipe (splice) instead of our memory.
    bool plain() const { return !tls_; }

    // Makes this accepted socket the server side of a TLS connection: nothing is read or
    // written until the handshake is done, which onConnected reports (a failed one is an
    // onError, with tlsError() saying why). `context` is kept for the connection's life.
    void acceptTls(SslPtr session, std::shared_ptr<const TlsServerContext> context);
    bool handshaking() const { return tls_ && !connected_; }
    // What OpenSSL said about a failed handshake or record ("wrong version number"); empty
    // for failures of the connection itself (see lastError).
    const std::string& tlsError() const { return tls_error_; }
    // The errno of the failure that onError reports (a refused connect, a reset): for the
    // log. 0 when there was none to read (a timeout, a failure inside libevent).
    int lastError() const { return error_code_; }

    // Appends to the output and writes what the kernel takes now.
    void send(const void* data, std::size_t length);
    // Moves `length` bytes of `from` to the output (no copy) and writes.
    void sendFrom(evbuffer* from, std::size_t length);
    // Writes what is queued, as far as the kernel takes it.
    void flush();

    // Reading stops while input() holds `limit` bytes or more, and while paused
    // (backpressure); resumes (from the loop, not from inside this call) when allowed again.
    void setInputLimit(std::size_t limit) { input_limit_ = limit; }
    void pauseReading() { reading_paused_ = true; }
    void resumeReading();

    // Splicing (splice(2)) moves bytes between the socket and a pipe inside the kernel. In
    // direct-read mode the socket reads nothing itself: each readable edge is an onReadable
    // with input() untouched, and the owner splices until the kernel has no more.
    void setDirectRead(bool on) { direct_read_ = on; }
    // The kernel may hold bytes for us (no EAGAIN or EOF since the last edge).
    bool readable() const { return readable_ && !eof_; }
    // The kernel took all we gave it last time.
    bool writable() const { return writable_; }
    // Socket -> pipe, at most `length` bytes; the pipe must be empty (the kernel says EAGAIN
    // for a full pipe as for an empty socket). Returns the count moved; 0 when there are none
    // now (readable() turns false) or the peer closed (atEof()); -1 when the connection
    // failed (onError follows from the loop).
    long spliceIn(int pipe_write_fd, std::size_t length);
    // Pipe -> socket, at most `length` bytes. Returns the count moved; 0 when the kernel's
    // buffer is full (onWritable follows once it has room); -1 when the connection failed
    // (onError follows from the loop).
    long spliceOut(int pipe_read_fd, std::size_t length);
    // True when the kernel holds no byte for us and the peer has not closed, asked without
    // reading (a peek): whether a connection whose body was spliced may be used again.
    bool drained();
    // An onReadable from the loop later, after the other connections' events.
    void readLater() { event_active(event_.get(), EV_READ, 0); }

    // (Re)starts the timer: no byte moved in either direction for this long gives
    // onError(timed_out). 0: none.
    void setTimeout(std::int64_t ms);

  private:
    // The one libevent callback: readable, writable and timer edges alike.
    void onEvent(evutil_socket_t, short what);
    // Reads until EAGAIN, EOF or the input limit. False when the connection failed.
    bool readAvailable();
    bool failed(bool timed_out);
    void armTimer(std::int64_t ms);
    // Marks the connection failed with `error` (an errno) and reports it from the loop: the
    // caller is not ready for a callback. Returns -1.
    long failLater(int error);

    // TLS (stream_socket_tls.cpp). Each step goes as far as the kernel lets it.
    // True once the handshake is done; false while it waits for the peer, or failed (error_).
    bool continueHandshake();
    // As readAvailable.
    bool readTls();
    // As evbuffer_write: the bytes written, or -1 with errno (EAGAIN: wait for an edge).
    int writeTls();
    // A read that had to wait for the socket to be writable, or a write for it to be
    // readable (OpenSSL's record layer may need the other direction), retried on that edge.
    void retryCrossedTls(short what);
    // Notes why OpenSSL's call failed with `code` (SSL_get_error) and answers the errno
    // to report: EAGAIN when it only has to wait.
    int tlsFailure(int code);

    evutil_socket_t fd_;
    StreamSocketHandler* handler_;
    EventPtr event_;
    EvbufferPtr input_;
    EvbufferPtr output_;
    std::size_t input_limit_ = SIZE_MAX;
    std::int64_t timeout_ms_ = 0;
    std::int64_t progress_ms_ = 0;  // when a write last went out (coarse monotonic clock)
    bool readable_ = false;         // the kernel may hold bytes we have not read (edge seen)
    bool writable_ = true;          // the kernel took all we gave it last time
    bool reading_paused_ = false;
    bool direct_read_ = false;
    bool splice_waiting_ = false;  // a spliceOut found the kernel's buffer full
    bool eof_ = false;
    bool peer_closed_ = false;  // EV_CLOSED seen: read on to the EOF
    bool connected_ = true;
    bool error_ = false;
    int error_code_ = 0;         // errno of the failure, see lastError()
    bool* destroyed_ = nullptr;  // set while a handler runs, to notice `delete this`
    SslPtr tls_;                 // null: a plain socket
    std::shared_ptr<const TlsServerContext> tls_context_;
    std::string tls_error_;
    bool tls_read_needs_write_ = false;
    bool tls_write_needs_read_ = false;
};

}  // namespace switchboard
