// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real etcd for the cluster tests (SPEC §12): Debian's etcd-server, one member or several,
// changed and read behind switchboard's back with etcdctl (etcd-client). `make deps` installs
// both.
#include <sys/types.h>

#include <csignal>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/switchboard_process.h"

namespace harness {

// A real etcd (one member or a cluster of several) on loopback ports of its own, in a temp dir
// of its own; every member is killed and the dir removed by the destructor. A member's process
// also dies with the thread that started it (PR_SET_PDEATHSIG), so a crashed test leaves no
// etcd behind: start and stop members from the test's own thread.
class EtcdProcess {
  public:
    // Starts every member, then waits up to 20 s until each answers /health; when one does
    // not, the test fails (ADD_FAILURE, with the members' logs) and started() is false.
    explicit EtcdProcess(int members = 1);
    ~EtcdProcess();
    EtcdProcess(const EtcdProcess&) = delete;
    EtcdProcess& operator=(const EtcdProcess&) = delete;

    bool started() const { return started_; }
    std::vector<std::string>
    endpoints() const;  // client URLs "http://127.0.0.1:PORT", one per member
    std::string endpoint(int member = 0) const;
    int clientPort(int member = 0) const;

    // `signal` (SIGTERM: a leader first hands its leadership over; SIGKILL: a crash, and the
    // others elect a new one), then wait for the exit (SIGKILL after 5 s).
    void stop(int member = 0, int signal = SIGTERM);
    // Again, on the same ports and data dir; waits until it answers (ADD_FAILURE if not).
    void start(int member = 0);
    bool running(int member = 0) const;
    // The index of the current leader, as the running members see it; -1 if none.
    int leader() const;

    using Ctl = CommandResult;  // status, out, err
    // ETCDCTL_API=3 etcdctl --endpoints=<all> args..., killed after 10 s.
    Ctl etcdctl(const std::vector<std::string>& args) const;
    std::string get(const std::string& key) const;                     // the value, "" when absent
    void put(const std::string& key, const std::string& value) const;  // ADD_FAILURE on error
    std::int64_t revision() const;  // the store's current revision; -1 when etcd did not say

    // What the members printed, each under a heading: for a failing test's message. (The
    // destructor prints the end of each log when the test has failed.)
    std::string logs() const;

  private:
    struct Member {
        std::string name;
        int client_port = 0;
        int peer_port = 0;
        std::string data_dir;
        std::string log_path;
        mutable pid_t pid = -1;  // -1 when it is not running; reaped by running()
    };

    void launch(Member& member);
    bool waitUntilHealthy(int index, int timeout_ms) const;
    std::string statusJson(const Member& member) const;  // /v3/maintenance/status, or ""

    TempDir dir_;
    std::string cluster_token_;
    std::string initial_cluster_;
    std::vector<Member> members_;
    bool started_ = false;
};

}  // namespace harness
