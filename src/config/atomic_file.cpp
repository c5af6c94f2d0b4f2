// SPDX-License-Identifier: Apache-2.0
#include "switchboard/config/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace switchboard {

namespace {

std::string directoryOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}

Error failure(const std::string& what, const std::string& path, int error_number) {
    return ioError("cannot save " + path + ": " + what + ": " + std::strerror(error_number));
}

// Closes and unlinks the temporary file unless the rename went through.
class TempFile {
  public:
    TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    ~TempFile() {
        if (fd_ >= 0)
            ::close(fd_);
        if (!committed_)
            ::unlink(path_.c_str());
    }
    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    int close() {
        int result = ::close(fd_);
        fd_ = -1;
        return result;
    }
    void committed() { committed_ = true; }

  private:
    std::string path_;
    int fd_;
    bool committed_ = false;
};

}  // namespace

Status writeFileAtomically(const std::string& path, std::string_view contents) {
    std::string pattern = path + ".tmp.XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0)
        return failure("creating a temporary file", path, errno);
    TempFile temp(name.data(), fd);

    struct stat original {};
    if (::stat(path.c_str(), &original) == 0) {
        if (::fchmod(fd, original.st_mode & 07777) != 0)
            return failure("setting the mode", path, errno);
        if (::fchown(fd, original.st_uid, original.st_gid) != 0 && errno != EPERM)
            return failure("setting the owner", path, errno);
    } else if (::fchmod(fd, 0644) != 0) {
        return failure("setting the mode", path, errno);
    }

    std::size_t written = 0;
    while (written < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failure("writing", path, errno);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
        return failure("flushing to disk", path, errno);
    if (temp.close() != 0)
        return failure("closing", path, errno);
    if (::rename(temp.path().c_str(), path.c_str()) != 0)
        return failure("renaming into place", path, errno);
    temp.committed();

    // The rename is durable only once the directory entry is.
    int directory = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY);
    if (directory >= 0) {
        ::fsync(directory);
        ::close(directory);
    }
    return Ok{};
}

}  // namespace switchboard
