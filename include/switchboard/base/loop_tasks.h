// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "switchboard/base/libevent.h"

namespace switchboard {

// A base for a loop only its own thread touches: no libevent locks (threads talk through
// LoopTasks), and the changelist, which batches the epoll_ctl calls a socket makes as it
// switches events on and off within one turn of the loop.
event_base* newLoopBase();

// Functions handed to one libevent loop from any thread, run on that loop's thread in the
// order posted. The one way threads talk here (SPEC §9): the main loop posts configuration,
// listeners and shutdown to the workers, and a worker posts "drained" back. A post takes a
// mutex and writes an eventfd; the loop drains the queue on one wake-up, so a burst of posts
// costs one system call on the loop's side.
class LoopTasks {
  public:
    explicit LoopTasks(event_base* base);
    ~LoopTasks();
    LoopTasks(const LoopTasks&) = delete;
    LoopTasks& operator=(const LoopTasks&) = delete;

    void post(std::function<void()> task);
    // Runs what is queued now, on the calling thread (for a loop that has stopped).
    void runQueued();

  private:
    void onWake(evutil_socket_t, short);

    int wake_fd_;
    EventPtr wake_event_;
    std::mutex mutex_;
    std::vector<std::function<void()>> queue_;
};

// A thread that runs its own event loop (a proxy worker's). Everything on `base()` belongs
// to that thread while it runs; other threads reach it only through submit(). Before start()
// and after the loop has ended, submit() runs the task on the caller's thread instead,
// which then owns the loop's objects (there is no other thread left to race with).
class EventLoopThread {
  public:
    EventLoopThread();  // its base from newLoopBase()
    ~EventLoopThread();
    EventLoopThread(const EventLoopThread&) = delete;
    EventLoopThread& operator=(const EventLoopThread&) = delete;

    event_base* base() { return base_.get(); }
    void start(std::string name);
    // Queues `task` for the loop; the future is ready once it has run. A task must not
    // throw (what escapes is logged, as for a C callback).
    std::future<void> submit(std::function<void()> task);
    void runAndWait(std::function<void()> task) { submit(std::move(task)).wait(); }
    // Ends the loop (what is queued still runs) and joins the thread.
    void stop();

  private:
    void run();

    EventBasePtr base_;
    LoopTasks tasks_;
    std::thread thread_;
    std::mutex mutex_;
    bool running_ = false;  // under mutex_: the thread takes tasks
};

}  // namespace switchboard
