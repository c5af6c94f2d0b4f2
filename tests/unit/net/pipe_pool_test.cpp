// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "switchboard/net/pipe_pool.h"

using namespace switchboard;

namespace {

bool isOpen(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

}  // namespace

TEST(PipePool, HandsOutWorkingNonBlockingPipes) {
    PipePool pool(4);
    PipeLease pipe = pool.acquire();
    ASSERT_TRUE(pipe);
    EXPECT_TRUE(::fcntl(pipe->readFd(), F_GETFL) & O_NONBLOCK);
    ASSERT_EQ(::write(pipe->writeFd(), "abc", 3), 3);
    char buffer[8];
    ASSERT_EQ(::read(pipe->readFd(), buffer, sizeof buffer), 3);
    EXPECT_EQ(::read(pipe->readFd(), buffer, sizeof buffer), -1);  // empty: would block
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_GE(::fcntl(pipe->writeFd(), F_GETPIPE_SZ), 64 * 1024);
}

TEST(PipePool, AnEmptyPipeGivenBackIsUsedAgain) {
    PipePool pool(4);
    int read_fd;
    {
        PipeLease pipe = pool.acquire();
        read_fd = pipe->readFd();
    }
    EXPECT_EQ(pool.open(), 1u);
    EXPECT_EQ(pool.idle(), 1u);
    EXPECT_TRUE(isOpen(read_fd));
    PipeLease again = pool.acquire();
    EXPECT_EQ(again->readFd(), read_fd);
    EXPECT_EQ(pool.idle(), 0u);
}

TEST(PipePool, APipeGivenBackHoldingBytesIsClosed) {
    // A transfer that broke off leaves bytes nobody wants: the next body must not get them.
    PipePool pool(4);
    int read_fd, write_fd;
    {
        PipeLease pipe = pool.acquire();
        read_fd = pipe->readFd();
        write_fd = pipe->writeFd();
        ASSERT_EQ(::write(write_fd, "left over", 9), 9);
        pipe->bytes = 9;
    }
    EXPECT_EQ(pool.open(), 0u);
    EXPECT_EQ(pool.idle(), 0u);
    EXPECT_FALSE(isOpen(read_fd));
    EXPECT_FALSE(isOpen(write_fd));
}

TEST(PipePool, NoMoreThanItsLimitAreOpenAtOnce) {
    PipePool pool(2);
    PipeLease a = pool.acquire(), b = pool.acquire();
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_FALSE(pool.acquire());  // the caller copies instead
    a.reset();
    EXPECT_TRUE(pool.acquire());  // one came back
}

TEST(PipePool, AMovedLeaseGivesItsPipeBackOnce) {
    PipePool pool(1);
    PipeLease first = pool.acquire();
    PipeLease second = std::move(first);
    EXPECT_FALSE(first);
    first = pool.acquire();  // the only pipe is out: none
    EXPECT_FALSE(first);
    second = PipeLease();
    EXPECT_EQ(pool.idle(), 1u);
    EXPECT_EQ(pool.open(), 1u);
}
