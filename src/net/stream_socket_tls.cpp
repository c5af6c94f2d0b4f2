// SPDX-License-Identifier: Apache-2.0
// The TLS side of StreamSocket: the handshake, and records in and out of the evbuffers. The
// rest of the socket (edges, timers, backpressure) is the same for both kinds.
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>

#include "switchboard/net/stream_socket.h"

namespace switchboard {

namespace {

// The largest TLS record's payload: one SSL_read gives at most this, and SSL_write is given
// this much at a time so that records are full.
constexpr std::size_t kTlsRecord = 16 * 1024;

}  // namespace

void StreamSocket::acceptTls(SslPtr session, std::shared_ptr<const TlsServerContext> context) {
    tls_ = std::move(session);
    tls_context_ = std::move(context);
    connected_ = false;
    writable_ = false;
}

int StreamSocket::tlsFailure(int code) {
    switch (code) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return EAGAIN;
    case SSL_ERROR_SYSCALL:
        // errno 0: the peer closed in the middle of a record or handshake.
        ERR_clear_error();
        return errno != 0 && !(errno == EAGAIN || errno == EWOULDBLOCK) ? errno : ECONNRESET;
    case SSL_ERROR_ZERO_RETURN:
        return ECONNRESET;
    default:
        tls_error_ = takeOpenSslError();
        return EPROTO;
    }
}

bool StreamSocket::continueHandshake() {
    ERR_clear_error();
    errno = 0;
    int result = SSL_do_handshake(tls_.get());
    if (result == 1) {
        connected_ = true;
        writable_ = true;
        readable_ = true;
        return true;
    }
    int error = tlsFailure(SSL_get_error(tls_.get(), result));
    if (error != EAGAIN) {
        error_ = true;
        error_code_ = error;
    }
    return false;
}

void StreamSocket::retryCrossedTls(short what) {
    if ((what & EV_WRITE) && tls_read_needs_write_) {
        tls_read_needs_write_ = false;
        readable_ = true;
    }
    if ((what & EV_READ) && tls_write_needs_read_) {
        tls_write_needs_read_ = false;
        writable_ = true;
        flush();
    }
}

bool StreamSocket::readTls() {
    evbuffer* input = input_.get();
    while (readable_ && !eof_ && evbuffer_get_length(input) < input_limit_) {
        std::size_t room = std::min(kTlsRecord, input_limit_ - evbuffer_get_length(input));
        evbuffer_iovec space;
        if (evbuffer_reserve_space(input, static_cast<ev_ssize_t>(room), &space, 1) != 1)
            return false;
        ERR_clear_error();
        errno = 0;
        int n =
            SSL_read(tls_.get(), space.iov_base, static_cast<int>(std::min(room, space.iov_len)));
        if (n > 0) {
            space.iov_len = static_cast<std::size_t>(n);
            evbuffer_commit_space(input, &space, 1);
            continue;
        }
        evbuffer_commit_space(input, &space, 0);
        if (evbuffer_get_length(input) == 0) {
            // As readAvailable: an idle connection keeps no empty chain.
            input_.reset(evbuffer_new());
            input = input_.get();
        }
        int code = SSL_get_error(tls_.get(), n);
        if (code == SSL_ERROR_ZERO_RETURN) {  // close_notify, or a bare EOF (IGNORE_UNEXPECTED_EOF)
            eof_ = true;
            readable_ = false;
            return true;
        }
        int error = tlsFailure(code);
        if (error == EAGAIN) {
            readable_ = false;
            tls_read_needs_write_ = code == SSL_ERROR_WANT_WRITE;
            return true;
        }
        error_code_ = error;
        return false;
    }
    return true;
}

int StreamSocket::writeTls() {
    evbuffer* output = output_.get();
    std::size_t length = std::min(kTlsRecord, evbuffer_get_length(output));
    // Contiguous bytes for one full record: a small head and the body after it go out
    // together, and each record carries as much as it can.
    const unsigned char* data = evbuffer_pullup(output, static_cast<ev_ssize_t>(length));
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(tls_.get(), data, static_cast<int>(length));
    if (n > 0) {
        evbuffer_drain(output, static_cast<std::size_t>(n));
        return n;
    }
    int code = SSL_get_error(tls_.get(), n);
    errno = tlsFailure(code);
    tls_write_needs_read_ = code == SSL_ERROR_WANT_READ;
    return -1;
}

}  // namespace switchboard
