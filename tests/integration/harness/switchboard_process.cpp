// SPDX-License-Identifier: Apache-2.0
#include "harness/switchboard_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace harness {

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "switchboard-test-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    path_ = made ? made : "";
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

namespace {

// A sanitizer build (make asan and make tsan) reports findings of the switchboard process on
// its stderr, which is the log; the process may even exit 0 after one. This makes every
// report fail the test that started the process.
void expectNoSanitizerReport(const std::string& output, const std::string& what) {
    for (const char* marker :
         {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "ERROR: UndefinedBehaviorSanitizer",
          "runtime error:", "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer"}) {
        if (output.find(marker) != std::string::npos) {
            ADD_FAILURE() << what << " reported a sanitizer finding (" << marker << "):\n"
                          << output;
            return;
        }
    }
}

}  // namespace

int freePort() {
    // Below the kernel's ephemeral range (ip_local_port_range), so that no outgoing
    // connection of a parallel test (they open thousands) can take the port between this
    // check and the bind of the process that gets it; random, so that two tests rarely
    // draw the same one; and never twice in this process.
    static std::mutex mutex;  // tests may start processes from several threads at once
    std::lock_guard lock(mutex);
    static std::mt19937 random(std::random_device{}());
    static std::set<int> handed_out;
    int low = 20000, high = 32767;
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int ephemeral_low = 0;
    if (range >> ephemeral_low && ephemeral_low > 12000)
        high = ephemeral_low - 1, low = std::max(1024, high - 12000);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int port = low + static_cast<int>(random() % static_cast<unsigned>(high - low + 1));
        if (handed_out.count(port))
            continue;
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<uint16_t>(port));
        bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        if (free) {
            handed_out.insert(port);
            return port;
        }
    }
    return 0;
}

int connectLoopback(int port, bool& connected, int receive_buffer) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    return fd;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

namespace {

// SWITCHBOARD_TEST_WORKERS, or "" when it is not set.
std::string workersFromEnvironment() {
    const char* text = std::getenv("SWITCHBOARD_TEST_WORKERS");
    return text ? text : "";
}

}  // namespace

int testWorkers() {
    static const int workers = [] {
        std::string text = workersFromEnvironment();
        if (text == "auto") {
            cpu_set_t set;
            CPU_ZERO(&set);
            return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
        }
        char* end = nullptr;
        long count = std::strtol(text.c_str(), &end, 10);
        return !text.empty() && *end == '\0' && count >= 1 && count <= 256 ? static_cast<int>(count)
                                                                           : 1;
    }();
    return workers;
}

int fairShareTolerance() {
    return testWorkers() == 1 ? 0 : testWorkers();
}

std::string configHead(int proxy_port, int admin_port, const std::string& workers_toml) {
    return "[proxy]\nlisten = \"127.0.0.1:" + std::to_string(proxy_port) +
           "\"\naccess_log = \"\"\n" +
           (workers_toml.empty() ? "" : "workers = " + workers_toml + "\n") +
           "\n[admin]\nlisten = \"127.0.0.1:" + std::to_string(admin_port) + "\"\n";
}

std::string configHead(int proxy_port, int admin_port) {
    // As given, so that a value switchboard refuses fails every test instead of quietly
    // running one worker.
    std::string workers = workersFromEnvironment();
    return configHead(proxy_port, admin_port, workers == "auto" ? "\"auto\"" : workers);
}

SwitchboardProcess::SwitchboardProcess(std::string config_path, int proxy_port, int admin_port,
                                       std::vector<std::string> extra_args, long file_size_limit)
    : config_path_(std::move(config_path)), log_path_(config_path_ + ".log"),
      proxy_port_(proxy_port), admin_port_(admin_port) {
    std::error_code no_log_yet;
    log_start_ = std::filesystem::file_size(log_path_, no_log_yet);
    if (no_log_yet)
        log_start_ = 0;
    std::vector<std::string> args = {SWITCHBOARD_BINARY, "-c", config_path_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const PreparedExec program(std::move(args), log_path_, log_path_);
    pid_ = fork();
    if (pid_ == 0) {
        if (file_size_limit >= 0) {
            rlimit limit{static_cast<rlim_t>(file_size_limit),
                         static_cast<rlim_t>(file_size_limit)};
            setrlimit(RLIMIT_FSIZE, &limit);
        }
        program.exec();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running())
            return;
        // Its own log line first: a /healthz answer alone could come from another test's
        // process that took the port between freePort() and this start.
        if (log().find("started with") != std::string::npos &&
            httpRequest(admin_port_, "GET", "/healthz").status == 200) {
            started_ = true;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

SwitchboardProcess::~SwitchboardProcess() {
    if (pid_ > 0 && stop(5000) == -1) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    // Only this process's part of the log: a config path may be reused by a later process.
    std::string output = log();
    expectNoSanitizerReport(output.substr(std::min(log_start_, output.size())),
                            "switchboard -c " + config_path_);
}

std::string SwitchboardProcess::log() const {
    return readFile(log_path_);
}

int SwitchboardProcess::logCount(const std::string& needle) const {
    std::string text = log();
    int count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++count;
    return count;
}

HttpResponse
SwitchboardProcess::proxy(const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) const {
    return httpRequest(proxy_port_, method, target, body, headers);
}

HttpResponse
SwitchboardProcess::admin(const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) const {
    return httpRequest(admin_port_, method, target, body, headers);
}

long SwitchboardProcess::residentKiB() const {
    std::string status = readFile("/proc/" + std::to_string(pid_) + "/status");
    auto at = status.find("VmRSS:");
    return at == std::string::npos ? -1 : std::strtol(status.c_str() + at + 6, nullptr, 10);
}

void SwitchboardProcess::kill() {
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void SwitchboardProcess::signal(int signal_number) const {
    if (pid_ > 0)
        ::kill(pid_, signal_number);
}

bool SwitchboardProcess::running() {
    if (pid_ <= 0)
        return false;
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return false;
    }
    return true;
}

int SwitchboardProcess::stop(int timeout_ms) {
    if (pid_ <= 0)
        return exit_status_;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running())
            return exit_status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

bool SwitchboardProcess::waitForLog(const std::string& needle, int timeout_ms) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (log().find(needle) != std::string::npos)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

PreparedExec::PreparedExec(std::vector<std::string> argv, std::string out_path,
                           std::string err_path)
    : argv_(std::move(argv)), out_path_(std::move(out_path)), err_path_(std::move(err_path)) {
    for (auto& arg : argv_)
        pointers_.push_back(arg.data());
    pointers_.push_back(nullptr);
}

void PreparedExec::exec() const {
    // open, dup2, execvp and _exit only: async-signal-safe.
    int in_fd = ::open("/dev/null", O_RDONLY);
    int out_fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err_fd = err_path_ == out_path_
                     ? out_fd
                     : ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execvp(pointers_[0], pointers_.data());
    _exit(127);
}

CommandResult runCommand(std::vector<std::string> argv) {
    TempDir dir;
    std::string out_path = dir.file("out"), err_path = dir.file("err");
    const PreparedExec program(std::move(argv), out_path, err_path);
    pid_t pid = fork();
    if (pid == 0)
        program.exec();
    int status = 0;
    waitpid(pid, &status, 0);
    CommandResult result;
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = readFile(out_path);
    result.err = readFile(err_path);
    return result;
}

CommandResult runSwitchboard(const std::vector<std::string>& args) {
    std::vector<std::string> all = {SWITCHBOARD_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    CommandResult result = runCommand(std::move(all));
    expectNoSanitizerReport(result.err, "switchboard (run to completion)");
    return result;
}

}  // namespace harness
