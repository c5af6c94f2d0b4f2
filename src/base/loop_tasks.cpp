// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/loop_tasks.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"

namespace switchboard {

namespace {

void runGuarded(const std::function<void()>& task) noexcept {
    try {
        task();
    } catch (const std::exception& error) {
        reportEscapedException(error.what());
    } catch (...) {
        reportEscapedException("unknown exception");
    }
}

}  // namespace

LoopTasks::LoopTasks(event_base* base) : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) {
        // Without it no thread could reach the loop: nothing sensible is left to do.
        logError(std::string("eventfd: ") + std::strerror(errno));
        std::abort();
    }
    wake_event_.reset(
        event_new(base, wake_fd_, EV_READ | EV_PERSIST, CCallback<&LoopTasks::onWake>::call, this));
    event_add(wake_event_.get(), nullptr);
}

LoopTasks::~LoopTasks() {
    wake_event_.reset();
    ::close(wake_fd_);
}

void LoopTasks::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
    }
    std::uint64_t one = 1;
    // EAGAIN only when the counter is near 2^64: the loop has a wake-up pending anyway.
    [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void LoopTasks::onWake(evutil_socket_t, short) {
    std::uint64_t count;
    [[maybe_unused]] auto read = ::read(wake_fd_, &count, sizeof count);
    runQueued();
}

void LoopTasks::runQueued() {
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(mutex_);
        tasks.swap(queue_);
    }
    for (auto& task : tasks)
        runGuarded(task);
}

event_base* newLoopBase() {
    event_config* config = event_config_new();
    event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
    event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    event_base* base = event_base_new_with_config(config);
    event_config_free(config);
    return base ? base : event_base_new();
}

EventLoopThread::EventLoopThread() : base_(newLoopBase()), tasks_(base_.get()) {}

EventLoopThread::~EventLoopThread() {
    stop();
}

void EventLoopThread::start(std::string name) {
    std::lock_guard lock(mutex_);
    running_ = true;
    thread_ = std::thread([this, name = std::move(name)] {
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        run();
    });
}

void EventLoopThread::run() {
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
    {
        std::lock_guard lock(mutex_);
        running_ = false;
    }
    // Whatever was posted before running_ went false still runs, here, so that no submit()
    // waits for ever.
    tasks_.runQueued();
}

std::future<void> EventLoopThread::submit(std::function<void()> task) {
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> finished = done->get_future();
    {
        std::unique_lock lock(mutex_);
        if (running_ && std::this_thread::get_id() != thread_.get_id()) {
            // Posted under mutex_: the thread either takes it in its loop or, once running_
            // is false, in run()'s last runQueued().
            tasks_.post([task = std::move(task), done] {
                runGuarded(task);
                done->set_value();
            });
            return finished;
        }
    }
    // Not running (or asked from the loop itself): the caller's thread owns the loop's objects.
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id())
        thread_.join();
    runGuarded(task);
    done->set_value();
    return finished;
}

void EventLoopThread::stop() {
    submit([this] { event_base_loopbreak(base_.get()); }).wait();
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id())
        thread_.join();
}

}  // namespace switchboard
