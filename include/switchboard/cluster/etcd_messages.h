// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/base/result.h"

namespace switchboard::etcd {

// The bodies etcd's v3 JSON gateway takes and gives (SPEC §12, REFERENCES.md): keys and values
// are base64, 64-bit numbers are JSON strings, and empty fields are left out of answers
// (no "kvs" for an empty range, no "succeeded" for a failed txn, no "type" for a PUT event).
// Nothing here does I/O; every parser refuses what it cannot read with an Invalid error and
// never trusts a length or a count it was given.

std::string base64Encode(std::string_view bytes);
// nullopt for anything that is not padded standard base64.
std::optional<std::string> base64Decode(std::string_view text);

// The range_end that selects every key starting with `prefix`: the prefix with its last byte
// plus one ("/switchboard/" -> "/switchboard0"), bytes of 0xff dropped first; "\0" (every key)
// for an empty prefix or one of only 0xff bytes.
std::string prefixRangeEnd(std::string_view prefix);

struct KeyValue {
    std::string key;    // decoded
    std::string value;  // decoded; "" for a deleted key's event
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t version = 0;
};

// --- Requests (the JSON body of a POST) ---

// /v3/kv/range: one key (`range_end` empty) or a range.
std::string rangeRequest(std::string_view key, std::string_view range_end = {});

// One compare of a txn; every compare here is EQUAL.
struct Compare {
    enum class Target { Mod, Create };  // the key's mod_revision or create_revision
    Target target = Target::Mod;
    std::string key;
    std::int64_t revision = 0;  // Create with 0: the key does not exist
    std::string range_end;      // "" for the one key; else every key in [key, range_end)
};
// One operation of a txn's success or failure branch.
struct Operation {
    enum class Kind { Put, Delete, Range };
    Kind kind = Kind::Put;
    std::string key;
    std::string value;      // Put only
    std::string range_end;  // Delete and Range: "" for the one key
};
// /v3/kv/txn
std::string txnRequest(const std::vector<Compare>& compare, const std::vector<Operation>& success,
                       const std::vector<Operation>& failure);
// /v3/watch: {"create_request":{"key","range_end","start_revision","prev_kv":false}}
std::string watchRequest(std::string_view key, std::string_view range_end,
                         std::int64_t start_revision);

// --- Answers ---

// header.revision: the store's revision when it answered.
struct RangeAnswer {
    std::int64_t revision = 0;
    std::vector<KeyValue> kvs;
};
Result<RangeAnswer> parseRangeAnswer(std::string_view body);

struct TxnAnswer {
    std::int64_t revision = 0;
    bool succeeded = false;
    // The response_range of the branch taken, in order; the puts' and deletes' carry nothing
    // we use.
    std::vector<RangeAnswer> ranges;
};
Result<TxnAnswer> parseTxnAnswer(std::string_view body);

struct WatchEvent {
    enum class Type { Put, Delete };
    Type type = Type::Put;
    KeyValue kv;
};
// One message of the watch stream: {"result":{...}}. A stream error ({"error":{...}}) is an
// Invalid error carrying etcd's message.
struct WatchMessage {
    std::int64_t revision = 0;  // header.revision
    bool created = false;
    bool canceled = false;
    std::int64_t compact_revision = 0;  // set when canceled because start_revision was compacted
    std::string cancel_reason;
    std::vector<WatchEvent> events;
};
Result<WatchMessage> parseWatchMessage(std::string_view json);

// What an error body of etcd's says ({"error":"…","message":"…","code":N} -> its message, or
// the error); the body itself, cut to 200 bytes, when it is not one.
std::string errorText(std::string_view body);

// Cuts the watch stream (the gateway writes JSON objects one after the other, each followed by
// a newline, in chunks that need not follow object boundaries) into whole objects, as bytes
// arrive. Strings are followed so that braces inside them do not count. An object larger than
// `max_object` bytes, or bytes outside any object that are not whitespace, make it `broken()`:
// the stream cannot be trusted any more and is to be re-opened (the whole objects that came
// before the break are still handed out by next()).
class JsonStreamSplitter {
  public:
    explicit JsonStreamSplitter(std::size_t max_object = 16 << 20) : max_object_(max_object) {}
    void feed(std::string_view bytes);
    // The next whole object, if one has arrived.
    std::optional<std::string> next();
    bool broken() const { return broken_; }

  private:
    std::size_t max_object_;
    std::string pending_;      // bytes of the objects not yet returned
    std::size_t scanned_ = 0;  // how far pending_ has been scanned
    int depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
    std::vector<std::size_t> ends_;  // ends of the whole objects in pending_
    bool broken_ = false;
};

}  // namespace switchboard::etcd
