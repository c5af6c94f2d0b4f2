// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/change_journal.h"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "switchboard/base/json.h"
#include "switchboard/base/log.h"

namespace switchboard {

std::string isoTimeUtc(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
    std::time_t seconds = static_cast<std::time_t>(since_epoch.count() / 1000);
    auto millis = static_cast<int>(since_epoch.count() % 1000);
    if (millis < 0) {
        millis += 1000;
        --seconds;
    }
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
    return text;
}

namespace {

// A stored JSON text as a value; text that does not parse (never written by us) is kept as
// a string rather than lost.
JsonPtr jsonValue(const std::string& text) {
    JsonPtr value(cJSON_Parse(text.c_str()));
    if (!value)
        value.reset(cJSON_CreateString(text.c_str()));
    return value;
}

}  // namespace

JsonPtr ChangeRecord::toJsonValue() const {
    JsonObject object;
    object.add("time", time).add("peer", peer).add("call", call);
    if (service.empty())
        cJSON_AddItemToObject(object.get(), "service", cJSON_CreateNull());
    else
        object.add("service", service);
    object.add("before", jsonValue(before))
        .add("after", jsonValue(after))
        .add("status", status)
        .add("message", message);
    if (!revision.empty())
        object.add("revision", revision);
    return object.release();
}

std::string ChangeRecord::toJson() const {
    return JsonObject(toJsonValue()).toString();
}

void ChangeJournal::record(ChangeRecord change) {
    if (change.time.empty())
        change.time = isoTimeUtc(std::chrono::system_clock::now());
    logInfo("change: " + change.toJson());
    records_.push_back(std::move(change));
    while (records_.size() > capacity_)
        records_.pop_front();
}

std::vector<ChangeRecord> ChangeJournal::newestFirst(std::size_t limit) const {
    std::vector<ChangeRecord> newest;
    for (auto it = records_.rbegin(); it != records_.rend() && newest.size() < limit; ++it)
        newest.push_back(*it);
    return newest;
}

}  // namespace switchboard
