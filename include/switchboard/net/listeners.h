#pragma once

#include <event2/listener.h>
#include <event2/util.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/c_handle.h"

#include "switchboard/base/result.h"

namespace switchboard {

// A listening TCP socket on "host:port" (IPv4, [IPv6] or localhost): non-blocking,
// close-on-exec, SO_REUSEADDR, IPV6_V6ONLY for IPv6.
Result<evutil_socket_t> bindListeningSocket(const std::string& address);

// What a protocol layer made of one listening socket (an evconnlistener, an evhttp bound
// socket). Destroying it stops accepting and closes the socket.
class AcceptingSocket {
  public:
    virtual ~AcceptingSocket() = default;
};

// A listening socket whose accepted connections go to `on_accept(fd, peer address)`.
class ConnectionListener : public AcceptingSocket {
  public:
    using OnAccept = std::function<void(evutil_socket_t, const sockaddr*)>;

    // Null when libevent cannot take the socket.
    static std::unique_ptr<ConnectionListener> attach(event_base* base, evutil_socket_t fd,
                                                      OnAccept on_accept);

  private:
    explicit ConnectionListener(OnAccept on_accept) : on_accept_(std::move(on_accept)) {}
    void accepted(evconnlistener* listener, evutil_socket_t fd, sockaddr* address, int length);

    OnAccept on_accept_;
    std::unique_ptr<evconnlistener, CFree<evconnlistener_free>> listener_;
};

// The bound addresses of one listener (proxy or admin) and how to hand a socket to the
// HTTP layer. Reload binds new addresses before closing old ones (SPEC §7), so a failed
// bind leaves the running listeners alone.
class ListenerSet {
  public:
    // Hands a bound socket to its protocol layer; null on failure (the socket is then
    // closed here).
    using Attach = std::function<std::unique_ptr<AcceptingSocket>(evutil_socket_t)>;

    ListenerSet(std::string what, Attach attach)
        : what_(std::move(what)), attach_(std::move(attach)) {}
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
    std::map<std::string, std::unique_ptr<AcceptingSocket>> bound_;
};

}  // namespace switchboard
