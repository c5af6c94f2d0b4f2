// SPDX-License-Identifier: Apache-2.0
#include "switchboard/server/proxy_workers.h"

#include <sched.h>

#include <algorithm>

#include "switchboard/base/log.h"

namespace switchboard {

std::size_t resolvedWorkerCount(std::int64_t configured) {
    if (configured != kWorkersAuto)
        return static_cast<std::size_t>(std::clamp<std::int64_t>(configured, 1, kMaxWorkers));
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    int count = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    return static_cast<std::size_t>(std::clamp<std::int64_t>(count, 1, kMaxWorkers));
}

namespace {

// A listening socket of a worker on a thread of its own: libevent's listener belongs to that
// loop, so it is freed there too.
class WorkerListener : public AcceptingSocket {
  public:
    WorkerListener(ProxyWorker& worker, std::unique_ptr<AcceptingSocket> inner)
        : worker_(worker), inner_(std::move(inner)) {}
    ~WorkerListener() override {
        worker_.submit([this](Proxy&) { inner_.reset(); }).wait();
    }
    WorkerListener(const WorkerListener&) = delete;
    WorkerListener& operator=(const WorkerListener&) = delete;

  private:
    ProxyWorker& worker_;
    std::unique_ptr<AcceptingSocket> inner_;
};

// One address's sockets, one per worker.
class ListenerGroup : public AcceptingSocket {
  public:
    void add(std::unique_ptr<AcceptingSocket> socket) { sockets_.push_back(std::move(socket)); }

  private:
    std::vector<std::unique_ptr<AcceptingSocket>> sockets_;
};

}  // namespace

ProxyWorker::ProxyWorker(std::size_t index, event_base* main_base,
                         std::shared_ptr<const ServiceTable> services, ServerStats& stats,
                         AccessLogFile& log_file)
    : index_(index) {
    if (!main_base)
        thread_ = std::make_unique<EventLoopThread>();
    base_ = thread_ ? thread_->base() : main_base;
    dns_.reset(evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS));
    proxy_ =
        std::make_unique<Proxy>(base_, dns_.get(), std::move(services), stats, log_file, index);
}

ProxyWorker::~ProxyWorker() {
    // Once the thread has stopped, this thread owns what was the loop's.
    if (thread_)
        thread_->stop();
    proxy_.reset();
    dns_.reset();
    thread_.reset();
}

void ProxyWorker::start() {
    if (thread_)
        thread_->start("switchboard/" + std::to_string(index_));
}

std::future<void> ProxyWorker::submit(std::function<void(Proxy&)> task) {
    if (thread_)
        return thread_->submit([this, task = std::move(task)] { task(*proxy_); });
    task(*proxy_);
    std::promise<void> done;
    done.set_value();
    return done.get_future();
}

std::unique_ptr<AcceptingSocket> ProxyWorker::attachListener(evutil_socket_t fd, bool tls) {
    std::unique_ptr<AcceptingSocket> attached;
    submit([&](Proxy& proxy) { attached = proxy.attachListener(fd, tls); }).wait();
    if (!attached || !thread_)
        return attached;
    return std::make_unique<WorkerListener>(*this, std::move(attached));
}

ProxyWorkers::ProxyWorkers(std::size_t count, event_base* main_base,
                           std::shared_ptr<const ServiceTable> services, ServerStats& stats,
                           AccessLogFile& log_file)
    : main_tasks_(main_base) {
    for (std::size_t index = 0; index < std::max<std::size_t>(count, 1); ++index)
        workers_.push_back(std::make_unique<ProxyWorker>(index, count <= 1 ? main_base : nullptr,
                                                         services, stats, log_file));
}

ProxyWorkers::~ProxyWorkers() {
    workers_.clear();
}

void ProxyWorkers::start() {
    for (auto& worker : workers_)
        worker->start();
}

void ProxyWorkers::runEverywhere(const std::function<void(Proxy&)>& task) {
    std::vector<std::future<void>> done;
    for (auto& worker : workers_)
        done.push_back(worker->submit(task));
    for (auto& finished : done)
        finished.wait();
}

void ProxyWorkers::publish(const std::shared_ptr<const ServiceTable>& services) {
    runEverywhere([&services](Proxy& proxy) { proxy.setServices(services); });
}

void ProxyWorkers::setCertificates(const std::shared_ptr<const TlsServerContext>& certificates) {
    runEverywhere([&certificates](Proxy& proxy) { proxy.setCertificates(certificates); });
}

std::unique_ptr<AcceptingSocket> ProxyWorkers::attach(evutil_socket_t fd,
                                                      const std::string& address, bool tls) {
    auto group = std::make_unique<ListenerGroup>();
    for (std::size_t index = 0; index < workers_.size(); ++index) {
        evutil_socket_t socket = fd;
        if (index > 0) {
            auto more = bindListeningSocket(address, /*reuse_port=*/true);
            if (!more) {
                logError(more.error().message);
                return nullptr;  // the group closes the sockets attached so far
            }
            socket = *more;
        }
        auto attached = workers_[index]->attachListener(socket, tls);
        if (!attached)
            return nullptr;
        group->add(std::move(attached));
    }
    return group;
}

void ProxyWorkers::beginShutdown(std::function<void()> on_drained) {
    on_drained_ = std::move(on_drained);
    drained_ = 0;
    for (auto& worker : workers_)
        worker->submit([this](Proxy& proxy) {
            proxy.beginShutdown([this] {
                // On the worker's loop: tell the main loop.
                main_tasks_.post([this] {
                    if (++drained_ == workers_.size() && on_drained_)
                        on_drained_();
                });
            });
        });
}

}  // namespace switchboard
