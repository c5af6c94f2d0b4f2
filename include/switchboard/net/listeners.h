// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <event2/util.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/c_handle.h"
#include "switchboard/base/libevent.h"

#include "switchboard/base/result.h"

namespace switchboard {

// A listening TCP socket on "host:port" (IPv4, [IPv6] or localhost): non-blocking,
// close-on-exec, SO_REUSEADDR, IPV6_V6ONLY for IPv6. With `reuse_port`, SO_REUSEPORT too:
// several sockets on one address, the kernel spreading new connections over them (one per
// proxy worker, SPEC §9).
Result<evutil_socket_t> bindListeningSocket(const std::string& address, bool reuse_port = false);

// Fails, naming the address, when anything listens on `address` already, SO_REUSEPORT or
// not: a group of SO_REUSEPORT sockets would otherwise quietly share a port with another
// process of the same user.
Status checkAddressFree(const std::string& address);

// What a protocol layer made of one listening socket (a ConnectionListener, an evhttp bound
// socket). Destroying it stops accepting and closes the socket.
class AcceptingSocket {
  public:
    virtual ~AcceptingSocket() = default;
};

// A listening socket whose accepted connections go to `on_accept(fd, peer address)`, the
// descriptors non-blocking and close-on-exec.
//
// At most kAcceptsPerTurn connections are accepted per turn of the loop (libevent's
// evconnlistener accepts until the queue is empty): under a storm of new connections, the
// ones already accepted (a TLS handshake half done, a request waiting) get their turn
// between accepts instead of waiting behind every newcomer, as nginx does with
// `multi_accept off`. The event is level-triggered, so what is left is accepted next turn.
class ConnectionListener : public AcceptingSocket {
  public:
    using OnAccept = std::function<void(evutil_socket_t, const sockaddr*)>;
    static constexpr int kAcceptsPerTurn = 1;

    // Takes the socket: null (and the socket closed) when libevent cannot take it.
    static std::unique_ptr<ConnectionListener> attach(event_base* base, evutil_socket_t fd,
                                                      OnAccept on_accept);
    ~ConnectionListener() override;
    ConnectionListener(const ConnectionListener&) = delete;
    ConnectionListener& operator=(const ConnectionListener&) = delete;

  private:
    ConnectionListener(evutil_socket_t fd, OnAccept on_accept)
        : fd_(fd), on_accept_(std::move(on_accept)) {}
    void onReadable(evutil_socket_t, short);

    evutil_socket_t fd_;
    OnAccept on_accept_;
    EventPtr event_;
};

// The bound addresses of one listener (proxy or admin) and how to hand a socket to the
// HTTP layer. Reload binds new addresses before closing old ones (SPEC §7), so a failed
// bind leaves the running listeners alone.
class ListenerSet {
  public:
    // Hands a socket bound to `address` to its protocol layer, which takes it: on failure it
    // closes the socket and answers null.
    using Attach = std::function<std::unique_ptr<AcceptingSocket>(evutil_socket_t,
                                                                  const std::string& address)>;

    // With `reuse_port`, each address is checked to be free and bound with SO_REUSEPORT, so
    // that `attach` may bind more sockets to it (bindListeningSocket(address, true)).
    ListenerSet(std::string what, Attach attach, bool reuse_port = false)
        : what_(std::move(what)), attach_(std::move(attach)), reuse_port_(reuse_port) {}
    ~ListenerSet() { closeAll(); }
    ListenerSet(const ListenerSet&) = delete;
    ListenerSet& operator=(const ListenerSet&) = delete;

    // Binds every address of `addresses` not bound yet. All or nothing: on a failure the
    // ones this call bound are closed again, and the error names the address.
    Result<std::vector<std::string>> bindMissing(const std::vector<std::string>& addresses);
    // Closes the listeners of the given addresses (to roll back bindMissing).
    void close(const std::vector<std::string>& addresses);
    // Closes every listener whose address is not in `addresses`.
    void closeAllBut(const std::vector<std::string>& addresses);
    void closeAll();
    bool empty() const { return bound_.empty(); }

  private:
    std::string what_;
    Attach attach_;
    bool reuse_port_;
    std::map<std::string, std::unique_ptr<AcceptingSocket>> bound_;
};

}  // namespace switchboard
