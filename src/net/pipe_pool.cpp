// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace switchboard {

SplicePipe::~SplicePipe() {
    ::close(read_fd_);
    ::close(write_fd_);
}

PipeLease& PipeLease::operator=(PipeLease&& other) noexcept {
    if (this != &other) {
        reset();
        pool_ = other.pool_;
        pipe_ = std::move(other.pipe_);
    }
    return *this;
}

void PipeLease::reset() {
    if (pipe_)
        pool_->giveBack(std::move(pipe_));
}

PipeLease PipePool::acquire() {
    if (!idle_.empty()) {
        auto pipe = std::move(idle_.back());
        idle_.pop_back();
        return {this, std::move(pipe)};
    }
    if (open_ >= max_open_)
        return {};
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        return {};  // out of descriptors or pipe memory: the body is copied instead
    // Room for a 100 KiB body in one pass where the kernel allows it; 64 KiB otherwise.
    ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kPipeBytes));
    ++open_;
    return {this, std::make_unique<SplicePipe>(fds[0], fds[1])};
}

void PipePool::giveBack(std::unique_ptr<SplicePipe> pipe) {
    if (pipe->bytes == 0) {
        idle_.push_back(std::move(pipe));
        return;
    }
    --open_;  // the unique_ptr closes it, and the bytes left in it
}

}  // namespace switchboard
