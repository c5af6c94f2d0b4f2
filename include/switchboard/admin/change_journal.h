// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "switchboard/base/json.h"

namespace switchboard {

// One change made (or attempted) through the admin port, for GET /changes and the log.
struct ChangeRecord {
    std::string time;     // ISO-8601 UTC with milliseconds: "2025-01-31T12:00:00.123Z"
    std::string peer;     // the caller's address ("127.0.0.1"); "" for a signal
    std::string call;     // "POST /services/apiA/upstreams", or "SIGHUP"
    std::string service;  // the service changed; "" when the change is not about one
    // The service before and after, as JSON text ("null": it did not / does not exist).
    std::string before = "null";
    std::string after = "null";
    int status = 0;        // the HTTP status the call answered (a signal: 200 ok, 400 refused)
    std::string message;   // the change's log summary, or why it was refused
    std::string revision;  // the etcd revision of a change from the cluster (SPEC §12), else ""

    // The record as one JSON object; `before`/`after` are embedded as JSON values.
    JsonPtr toJsonValue() const;
    std::string toJson() const;
};

// "2025-01-31T12:00:00.123Z"
std::string isoTimeUtc(std::chrono::system_clock::time_point time);

// The most recent changes, in memory, bounded: the oldest is forgotten when it is full.
// Every record is also logged as one line ("change: {json}") when it is added, so the full
// history is in the journal of the system even after the ring forgets it.
class ChangeJournal {
  public:
    static constexpr std::size_t kDefaultCapacity = 1000;

    explicit ChangeJournal(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

    // Logs the record (info level) and keeps it. An empty `time` is set to now.
    void record(ChangeRecord change);
    // Newest first, at most `limit`.
    std::vector<ChangeRecord> newestFirst(std::size_t limit = SIZE_MAX) const;
    std::size_t size() const { return records_.size(); }

  private:
    std::size_t capacity_;
    std::deque<ChangeRecord> records_;  // oldest first
};

}  // namespace switchboard
