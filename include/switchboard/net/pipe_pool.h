// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace switchboard {

// A kernel pipe that a response body passes through on its way from the upstream's socket
// to the client's (splice(2)): the bytes are never copied into our memory. `bytes` counts
// what it holds, which the kernel does not tell.
class SplicePipe {
  public:
    SplicePipe(int read_fd, int write_fd) : read_fd_(read_fd), write_fd_(write_fd) {}
    ~SplicePipe();
    SplicePipe(const SplicePipe&) = delete;
    SplicePipe& operator=(const SplicePipe&) = delete;

    int readFd() const { return read_fd_; }
    int writeFd() const { return write_fd_; }
    std::size_t bytes = 0;

  private:
    int read_fd_;
    int write_fd_;
};

class PipePool;

// A pipe on loan from a PipePool; going out of scope gives it back.
class PipeLease {
  public:
    PipeLease() = default;
    PipeLease(PipePool* pool, std::unique_ptr<SplicePipe> pipe)
        : pool_(pool), pipe_(std::move(pipe)) {}
    ~PipeLease() { reset(); }
    PipeLease(PipeLease&& other) noexcept = default;
    PipeLease& operator=(PipeLease&& other) noexcept;

    explicit operator bool() const { return pipe_ != nullptr; }
    SplicePipe* operator->() const { return pipe_.get(); }
    void reset();

  private:
    PipePool* pool_ = nullptr;
    std::unique_ptr<SplicePipe> pipe_;
};

// The pipes of one event loop. At most `max_open` exist at once (each costs two file
// descriptors and up to kPipeBytes of the user's pipe memory, fs.pipe-user-pages-soft); past
// that, or when the kernel refuses a pipe, acquire() returns none and the caller copies
// through user memory instead. A pipe given back empty is kept for the next body; one given
// back holding bytes (a transfer that broke off) is closed.
class PipePool {
  public:
    explicit PipePool(std::size_t max_open) : max_open_(max_open) {}
    PipePool(const PipePool&) = delete;
    PipePool& operator=(const PipePool&) = delete;

    // Each pipe asks the kernel for this much room (fs.pipe-max-size permitting).
    static constexpr std::size_t kPipeBytes = 128 * 1024;

    PipeLease acquire();
    std::size_t open() const { return open_; }
    std::size_t idle() const { return idle_.size(); }

  private:
    friend class PipeLease;
    void giveBack(std::unique_ptr<SplicePipe> pipe);

    std::size_t max_open_;
    std::size_t open_ = 0;
    std::vector<std::unique_ptr<SplicePipe>> idle_;
};

}  // namespace switchboard
