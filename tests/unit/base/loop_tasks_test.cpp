// SPDX-License-Identifier: Apache-2.0
// EventLoopThread and LoopTasks: how the main loop reaches a worker's loop and back (SPEC §9).
// Run under ThreadSanitizer by `make tsan`: a task's effects must be visible to the thread
// that waited for it.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "switchboard/base/loop_tasks.h"

using namespace switchboard;

TEST(EventLoopThread, RunsTasksOnItsOwnThreadInOrder) {
    EventLoopThread loop;
    loop.start("test");
    std::vector<int> order;  // touched only on the loop's thread, read after the waits
    std::thread::id ran_on;
    std::vector<std::future<void>> done;
    for (int i = 0; i < 100; ++i)
        done.push_back(loop.submit([&order, &ran_on, i] {
            order.push_back(i);
            ran_on = std::this_thread::get_id();
        }));
    for (auto& finished : done)
        finished.wait();
    ASSERT_EQ(order.size(), 100u);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
    EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(EventLoopThread, BeforeStartAndAfterStopTasksRunOnTheCaller) {
    EventLoopThread loop;
    std::thread::id ran_on;
    loop.runAndWait([&] { ran_on = std::this_thread::get_id(); });
    EXPECT_EQ(ran_on, std::this_thread::get_id());

    loop.start("test");
    loop.runAndWait([&] { ran_on = std::this_thread::get_id(); });
    EXPECT_NE(ran_on, std::this_thread::get_id());

    loop.stop();
    loop.runAndWait([&] { ran_on = std::this_thread::get_id(); });
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(EventLoopThread, ATaskThatThrowsIsReportedAndTheLoopGoesOn) {
    EventLoopThread loop;
    loop.start("test");
    loop.runAndWait([] { throw std::runtime_error("boom"); });
    int value = 0;
    loop.runAndWait([&] { value = 7; });
    EXPECT_EQ(value, 7);
}

TEST(EventLoopThread, ManyThreadsSubmitAtOnce) {
    EventLoopThread loop;
    loop.start("test");
    int count = 0;  // only the loop's thread adds
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t)
        posters.emplace_back([&] {
            for (int i = 0; i < 500; ++i)
                loop.submit([&count] { ++count; });
        });
    for (auto& poster : posters)
        poster.join();
    loop.runAndWait([] {});
    EXPECT_EQ(count, 2000);
}

TEST(LoopTasks, AWorkerPostsBackToTheMainLoop) {
    EventBasePtr main_base(event_base_new());
    LoopTasks main_tasks(main_base.get());
    EventLoopThread worker;
    worker.start("test");
    std::atomic<int> seen{0};
    worker.submit([&] {
        main_tasks.post([&] {
            seen = 1;
            event_base_loopbreak(main_base.get());
        });
    });
    event_base_dispatch(main_base.get());
    EXPECT_EQ(seen.load(), 1);
}
