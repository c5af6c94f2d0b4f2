#pragma once

#include <event2/util.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "switchboard/base/result.h"

namespace switchboard {

// A listening TCP socket on "host:port" (IPv4, [IPv6] or localhost): non-blocking,
// close-on-exec, SO_REUSEADDR, IPV6_V6ONLY for IPv6.
Result<evutil_socket_t> bindListeningSocket(const std::string& address);

// The bound addresses of one listener (proxy or admin) and how to hand a socket to the
// HTTP layer. Reload binds new addresses before closing old ones (SPEC §7), so a failed
// bind leaves the running listeners alone.
class ListenerSet {
  public:
    using Attach = std::function<void*(evutil_socket_t)>;  // nullptr on failure
    using Detach = std::function<void(void*)>;             // also closes the socket

    ListenerSet(std::string what, Attach attach, Detach detach)
        : what_(std::move(what)), attach_(std::move(attach)), detach_(std::move(detach)) {}
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
    Detach detach_;
    std::map<std::string, void*> bound_;
};

} // namespace switchboard
