// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/stream_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "switchboard/base/c_callback.h"

namespace switchboard {

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

// Milliseconds of a clock that never jumps, at the kernel's tick (a few ms): cheap enough to
// read at every write, fine enough for timeouts.
std::int64_t coarseNowMs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

bool wouldBlock(int error) {
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

void setNoDelay(evutil_socket_t fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

// Marks the socket's destruction for the caller up the stack while a handler runs.
class DestructionWatch {
  public:
    explicit DestructionWatch(bool*& slot) : slot_(slot), outer_(slot) { slot_ = &destroyed_; }
    ~DestructionWatch() {
        if (!destroyed_)
            slot_ = outer_;
        else if (outer_)
            *outer_ = true;
    }
    bool destroyed() const { return destroyed_; }

  private:
    bool*& slot_;
    bool* outer_;
    bool destroyed_ = false;
};

StreamSocket::StreamSocket(event_base* base, evutil_socket_t fd, StreamSocketHandler* handler)
    : fd_(fd), handler_(handler), input_(evbuffer_new()), output_(evbuffer_new()) {
    evutil_make_socket_nonblocking(fd_);
    setNoDelay(fd_);
    // EV_CLOSED (EPOLLRDHUP): a FIN that comes in the same edge as the last bytes is told
    // apart, so the short-read shortcut below never hides it.
    event_.reset(event_new(base, fd_, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET,
                           CCallback<&StreamSocket::onEvent>::call, this));
    event_add(event_.get(), nullptr);
}

StreamSocket::~StreamSocket() {
    if (destroyed_)
        *destroyed_ = true;
    event_.reset();
    // A TLS peer is told the connection ends on purpose (close_notify), best effort: the
    // socket closes whatever the kernel took.
    if (tls_ && connected_ && !error_) {
        ERR_clear_error();
        SSL_shutdown(tls_.get());
        ERR_clear_error();
    }
    ::close(fd_);
}

StreamSocket* StreamSocket::connectTo(event_base* base, const sockaddr* address, int length,
                                      StreamSocketHandler* handler) {
    evutil_socket_t fd =
        ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nullptr;
    auto* socket = new StreamSocket(base, fd, handler);
    socket->connected_ = false;
    socket->writable_ = false;
    if (::connect(fd, address, static_cast<socklen_t>(length)) != 0 && errno != EINPROGRESS) {
        // Refused at once (loopback does that): report it from the loop, like any failure.
        socket->failLater(errno);
    }
    return socket;
}

void StreamSocket::send(const void* data, std::size_t length) {
    evbuffer_add(output_.get(), data, length);
    flush();
}

void StreamSocket::sendFrom(evbuffer* from, std::size_t length) {
    evbuffer_remove_buffer(from, output_.get(), length);
    flush();
}

void StreamSocket::flush() {
    if (!connected_ || error_)
        return;
    while (writable_ && evbuffer_get_length(output_.get()) > 0) {
        int written = tls_ ? writeTls() : evbuffer_write(output_.get(), fd_);
        if (written > 0)
            progress_ms_ = coarseNowMs();
        if (written < 0) {
            if (wouldBlock(errno)) {
                writable_ = false;  // the next EPOLLOUT edge says when to go on
                return;
            }
            failLater(errno);
            return;
        }
    }
}

long StreamSocket::failLater(int error) {
    error_ = true;
    error_code_ = error;
    event_active(event_.get(), EV_WRITE, 0);
    return -1;
}

long StreamSocket::spliceIn(int pipe_write_fd, std::size_t length) {
    if (error_)
        return -1;
    if (eof_)
        return 0;
    ssize_t n =
        ::splice(fd_, nullptr, pipe_write_fd, nullptr, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0)
        return n;
    if (n == 0)
        eof_ = true;
    else if (!wouldBlock(errno))
        return failLater(errno);
    readable_ = false;
    return 0;
}

long StreamSocket::spliceOut(int pipe_read_fd, std::size_t length) {
    if (!connected_ || error_)
        return -1;
    ssize_t n =
        ::splice(pipe_read_fd, nullptr, fd_, nullptr, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0)
        progress_ms_ = coarseNowMs();
    if (n >= 0)
        return n;
    if (!wouldBlock(errno))
        return failLater(errno);
    writable_ = false;
    splice_waiting_ = true;
    return 0;
}

bool StreamSocket::drained() {
    if (error_ || eof_)
        return false;
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && wouldBlock(errno)) {
        readable_ = false;
        return true;
    }
    return false;
}

void StreamSocket::resumeReading() {
    reading_paused_ = false;
    if (readable_ || eof_)
        event_active(event_.get(), EV_READ, 0);
}

void StreamSocket::setTimeout(std::int64_t ms) {
    if (ms > 0 && ms == timeout_ms_) {
        // The same timer again (every request restarts the client's): noting the time is
        // enough, the timer moves itself on when it fires early (onEvent).
        progress_ms_ = coarseNowMs();
        return;
    }
    timeout_ms_ = ms;
    if (ms > 0) {
        armTimer(ms);
    } else {
        // event_add(nullptr) would keep a timer already set.
        event_remove_timer(event_.get());
    }
}

void StreamSocket::armTimer(std::int64_t ms) {
    // event_add on the registered event only re-arms its timer: no system call.
    const timeval tv = toTimeval(std::chrono::milliseconds(ms));
    event_add(event_.get(), &tv);
}

bool StreamSocket::failed(bool timed_out) {
    DestructionWatch watch(destroyed_);
    handler_->onError(*this, timed_out);
    return !watch.destroyed();
}

void StreamSocket::onEvent(evutil_socket_t, short what) {
    if (error_) {
        failed(false);
        return;
    }
    if (what & EV_TIMEOUT) {
        // Every event restarts the timer (libevent does, for a persistent event), and reads
        // follow events; but writes the kernel takes at once bring none, so they note the
        // time themselves: the connection was quiet only since the last of them.
        std::int64_t quiet = coarseNowMs() - progress_ms_;
        if (timeout_ms_ > 0 && quiet < timeout_ms_) {
            armTimer(timeout_ms_ - quiet);
            return;
        }
        failed(true);
        return;
    }
    if (tls_) {
        if (!connected_) {
            if (!continueHandshake()) {
                if (error_)
                    failed(false);
                return;
            }
            DestructionWatch watch(destroyed_);
            handler_->onConnected(*this);
            if (watch.destroyed())
                return;
            // Records that came with the end of the handshake are read now: no edge for them.
            what |= EV_READ;
        }
        retryCrossedTls(what);
    }
    if (what & EV_WRITE) {
        if (!connected_) {
            int error = 0;
            socklen_t length = sizeof error;
            getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) {
                error_code_ = error;
                failed(false);
                return;
            }
            connected_ = true;
            writable_ = true;
            DestructionWatch watch(destroyed_);
            handler_->onConnected(*this);
            if (watch.destroyed())
                return;
        } else {
            writable_ = true;
            bool waited = evbuffer_get_length(output_.get()) > 0 || splice_waiting_;
            splice_waiting_ = false;
            flush();
            if (error_) {
                failed(false);
                return;
            }
            if (waited) {
                DestructionWatch watch(destroyed_);
                handler_->onWritable(*this);
                if (watch.destroyed())
                    return;
            }
        }
    }
    if (what & EV_CLOSED)
        peer_closed_ = true;
    if (what & (EV_READ | EV_CLOSED))
        readable_ = true;
    if (direct_read_) {
        if ((what & EV_READ) && !reading_paused_ && connected_)
            handler_->onReadable(*this);  // the last call: no need to watch for `delete this`
        return;
    }
    // With edge-triggered events, bytes left in the kernel bring no new event: read on
    // while the handler takes what was read. A few rounds per turn of the loop, then yield
    // to the other connections and come back.
    for (int round = 0; (readable_ || eof_) && !reading_paused_ && connected_ && !direct_read_;
         ++round) {
        if (round == 4) {
            event_active(event_.get(), EV_READ, 0);
            return;
        }
        bool was_eof = eof_;
        std::size_t before = evbuffer_get_length(input_.get());
        if (!readAvailable()) {
            failed(false);
            return;
        }
        if (round > 0 && was_eof == eof_ && evbuffer_get_length(input_.get()) == before)
            return;  // no progress: the input is full until the handler drains it
        StreamSocketHandler* handler = handler_;
        DestructionWatch watch(destroyed_);
        handler->onReadable(*this);
        // A new owner (the idle pool, taking a connection back) reads on its own turn.
        if (watch.destroyed() || eof_ || handler_ != handler)
            return;
    }
}

bool StreamSocket::readAvailable() {
    if (tls_)
        return readTls();
    while (readable_ && !eof_ && evbuffer_get_length(input_.get()) < input_limit_) {
        // Never past the limit: what stays in the kernel may be spliced (or left for later).
        std::size_t room = input_limit_ - evbuffer_get_length(input_.get());
        evbuffer_iovec space[2];
        int extents = evbuffer_reserve_space(input_.get(), kReadChunk, space, 2);
        if (extents <= 0)
            return false;
        iovec vectors[2];
        for (int i = 0; i < extents; ++i) {
            std::size_t length = std::min(room, space[i].iov_len);
            vectors[i] = {space[i].iov_base, length};
            room -= length;
        }
        ssize_t n = ::readv(fd_, vectors, extents);
        if (n <= 0) {
            evbuffer_commit_space(input_.get(), space, 0);
            // The chain reserved for nothing (32 KiB) would stay allocated, empty, for as
            // long as the connection is quiet (evbuffer_drain skips an empty buffer): an idle
            // keep-alive connection should cost nothing.
            if (evbuffer_get_length(input_.get()) == 0)
                input_.reset(evbuffer_new());
        }
        if (n < 0) {
            if (wouldBlock(errno)) {
                readable_ = false;
                return true;
            }
            error_code_ = errno;
            return false;
        }
        if (n == 0) {
            eof_ = true;
            readable_ = false;
            return true;
        }
        std::size_t left = static_cast<std::size_t>(n);
        for (int i = 0; i < extents; ++i) {
            std::size_t used = std::min(left, space[i].iov_len);
            space[i].iov_len = used;
            left -= used;
        }
        evbuffer_commit_space(input_.get(), space, extents);
        // A short read means the kernel had no more: save the EAGAIN read. Not once the peer
        // closed: its FIN may have come with these bytes, and brings no edge of its own.
        std::size_t asked = 0;
        for (int i = 0; i < extents; ++i)
            asked += vectors[i].iov_len;
        if (static_cast<std::size_t>(n) < asked && !peer_closed_) {
            readable_ = false;
            return true;
        }
    }
    return true;
}

}  // namespace switchboard
