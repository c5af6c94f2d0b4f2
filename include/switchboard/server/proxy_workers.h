// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/libevent.h"
#include "switchboard/base/loop_tasks.h"
#include "switchboard/base/stats.h"
#include "switchboard/net/listeners.h"
#include "switchboard/proxy/access_log.h"
#include "switchboard/proxy/proxy.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// `[proxy] workers` as a count: "auto" (kWorkersAuto) is the CPUs this process may run on
// (sched_getaffinity, so a cgroup or taskset limit counts), at most kMaxWorkers.
std::size_t resolvedWorkerCount(std::int64_t configured);

// One proxy event loop (SPEC §9): its loop, its resolver, its Proxy (connections, idle
// upstream connections, splice pipes, access log buffer). A worker of a group of several runs
// on a thread of its own; a lone worker runs on the main loop, exactly as switchboard did
// before workers.
class ProxyWorker {
  public:
    // `main_base`: the loop a lone worker runs on (null: a thread of its own).
    ProxyWorker(std::size_t index, event_base* main_base,
                std::shared_ptr<const ServiceTable> services, ServerStats& stats,
                AccessLogFile& log_file);
    ~ProxyWorker();
    ProxyWorker(const ProxyWorker&) = delete;
    ProxyWorker& operator=(const ProxyWorker&) = delete;

    void start();
    // Runs `task` on the worker's loop, with its Proxy; the future is ready once it ran.
    std::future<void> submit(std::function<void(Proxy&)> task);
    // A listening socket accepting into this worker, attached (and later detached) on its loop.
    std::unique_ptr<AcceptingSocket> attachListener(evutil_socket_t fd, bool tls);

  private:
    std::size_t index_;
    std::unique_ptr<EventLoopThread> thread_;  // null for a lone worker
    event_base* base_;
    EvdnsBasePtr dns_;
    std::unique_ptr<Proxy> proxy_;
};

// Every proxy worker of the process, as the main loop sees them.
class ProxyWorkers {
  public:
    ProxyWorkers(std::size_t count, event_base* main_base,
                 std::shared_ptr<const ServiceTable> services, ServerStats& stats,
                 AccessLogFile& log_file);
    ~ProxyWorkers();
    ProxyWorkers(const ProxyWorkers&) = delete;
    ProxyWorkers& operator=(const ProxyWorkers&) = delete;

    std::size_t size() const { return workers_.size(); }
    // Starts the workers' threads.
    void start();
    // Hands `services` to every worker and returns once each has taken it: a change is in
    // effect on every worker before the call that made it answers (SPEC §9).
    void publish(const std::shared_ptr<const ServiceTable>& services);
    // ListenerSet's attach: `fd` goes to the first worker, and each further worker gets a
    // socket of its own bound to `address` with SO_REUSEPORT.
    // `tls`: the listener's connections speak TLS (SPEC §10).
    std::unique_ptr<AcceptingSocket> attach(evutil_socket_t fd, const std::string& address,
                                            bool tls = false);
    // Hands newly loaded certificates to every worker and returns once each has taken them.
    void setCertificates(const std::shared_ptr<const TlsServerContext>& certificates);
    // SIGTERM: every worker finishes its requests; `on_drained` runs on the main loop once
    // all have.
    void beginShutdown(std::function<void()> on_drained);

  private:
    // Runs `task` on every worker at once and waits for all.
    void runEverywhere(const std::function<void(Proxy&)>& task);

    LoopTasks main_tasks_;  // how the workers reach the main loop
    std::vector<std::unique_ptr<ProxyWorker>> workers_;
    std::size_t drained_ = 0;  // main loop only
    std::function<void()> on_drained_;
};

}  // namespace switchboard
