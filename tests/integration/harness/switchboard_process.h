// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness/http_client.h"

namespace harness {

// A temporary directory, removed with everything in it on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();

// A blocking TCP socket connected to 127.0.0.1:port (with SO_RCVBUF set first when
// receive_buffer > 0); `connected` says whether the connect succeeded. The caller closes it.
int connectLoopback(int port, bool& connected, int receive_buffer = 0);

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

// The proxy workers (SPEC §9) the tests run switchboard with: SWITCHBOARD_TEST_WORKERS when it
// is set to a number from 1 to 256 or to "auto" (the CPUs this process may run on), else 1,
// switchboard's default. ctest's workers2.* copy of the integration suite sets it to 2, and
// `make tsan` to 4.
int testWorkers();

// How far from its fair share of requests on new connections an upstream of a round robin
// service may be: SPEC §9 makes round robin exact within each worker, so 0 with one worker
// and testWorkers() with more. A sequence sent on one keep-alive connection stays on one
// worker and is exact whatever the count.
int fairShareTolerance();

// Polls `holds` every 10 ms until it is true or `timeout_ms` pass; returns its last answer.
// For what a worker records a moment after the client has the whole response (the request's
// in-flight count given back, the service's response counters): with several workers the
// admin port, on the main loop, may answer in between (SPEC §9 says totals, not when).
template <typename Check> bool eventually(Check holds, int timeout_ms = 3000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!holds()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return holds();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// The [proxy]/[admin] head of a test config on the given ports, access log off. With
// SWITCHBOARD_TEST_WORKERS set, [proxy] also says `workers = <that value>`, so that every test
// that starts switchboard from this head runs it with that many workers (a value switchboard
// refuses fails the tests rather than being ignored).
std::string configHead(int proxy_port, int admin_port);
// The same with `workers = <workers_toml>` (a TOML value: 4, or "auto" with its quotes) whatever
// the environment says: for tests that need a given count.
std::string configHead(int proxy_port, int admin_port, const std::string& workers_toml);

// The real switchboard binary, started on a config file, stopped (and if need be killed)
// on destruction.
class SwitchboardProcess {
  public:
    // Starts `switchboard -c config_path extra_args...` with stdout+stderr to a log file
    // beside the config, then waits until the admin port answers /healthz. On destruction,
    // a sanitizer report in the process's part of the log fails the current test.
    SwitchboardProcess(std::string config_path, int proxy_port, int admin_port,
                       std::vector<std::string> extra_args = {}, long file_size_limit = -1);
    ~SwitchboardProcess();
    SwitchboardProcess(const SwitchboardProcess&) = delete;
    SwitchboardProcess& operator=(const SwitchboardProcess&) = delete;

    bool started() const { return started_; }
    // The process's resident memory (VmRSS) in KiB, or -1.
    long residentKiB() const;
    // SIGKILL, then reap.
    void kill();
    pid_t pid() const { return pid_; }
    int proxyPort() const { return proxy_port_; }
    int adminPort() const { return admin_port_; }
    std::string log() const;                        // everything the process printed so far
    int logCount(const std::string& needle) const;  // how often `needle` stands in log()

    HttpResponse proxy(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
    HttpResponse admin(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

    void signal(int signal_number) const;
    // Sends SIGTERM and waits (up to timeout); returns the exit status, or -1.
    int stop(int timeout_ms = 15000);
    bool running();
    // Waits until `needle` appears in the log, up to timeout; true when it did.
    bool waitForLog(const std::string& needle, int timeout_ms = 5000) const;

  private:
    std::string config_path_;
    std::string log_path_;
    int proxy_port_;
    int admin_port_;
    pid_t pid_ = -1;
    bool started_ = false;
    int exit_status_ = -1;
    std::size_t log_start_ = 0;  // the log's size before this process started
};

// Runs the binary to completion (for --check, --help ...); returns exit status and output.
struct CommandResult {
    int status = -1;
    std::string out;
    std::string err;
};
CommandResult runSwitchboard(const std::vector<std::string>& args);
// Runs any program (looked up in PATH) to completion, stdin from /dev/null.
CommandResult runCommand(std::vector<std::string> argv);
// A program and its output files, made ready before fork(): the child of a multi-threaded
// process may only make async-signal-safe calls until it execs (a malloc there can wait
// forever for a lock another thread held at the fork; seen under ASan as a switchboard that
// never started), so everything that allocates is done here, in the parent.
class PreparedExec {
  public:
    // stdin from /dev/null, stdout and stderr appended to these files (one file when the
    // paths are the same); argv[0] is looked up in PATH.
    PreparedExec(std::vector<std::string> argv, std::string out_path, std::string err_path);
    // For the child after fork(): redirects and execs; exit status 127 when that fails.
    [[noreturn]] void exec() const;

  private:
    std::vector<std::string> argv_;
    std::vector<char*> pointers_;
    std::string out_path_, err_path_;
};

}  // namespace harness
