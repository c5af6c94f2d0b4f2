// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cjson/cJSON.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/base/c_handle.h"

namespace switchboard {

using JsonPtr = std::unique_ptr<cJSON, CFree<cJSON_Delete>>;

// A JSON document under construction; adds return the object so calls can be chained.
class JsonObject {
  public:
    JsonObject() : root_(cJSON_CreateObject()) {}
    explicit JsonObject(JsonPtr root) : root_(std::move(root)) {}

    JsonObject& add(const char* key, std::string_view value);
    JsonObject& add(const char* key, const char* value) {
        return add(key, std::string_view(value));
    }
    JsonObject& add(const char* key, std::int64_t value);
    JsonObject& add(const char* key, int value) { return add(key, std::int64_t{value}); }
    JsonObject& add(const char* key, std::uint64_t value);
    JsonObject& add(const char* key, bool value);
    // Takes ownership of `value` (an object or array).
    JsonObject& add(const char* key, JsonPtr value);

    cJSON* get() const { return root_.get(); }
    JsonPtr release() { return std::move(root_); }
    std::string toString() const;

  private:
    JsonPtr root_;
};

JsonPtr makeJsonArray();
void appendToArray(cJSON* array, JsonPtr item);

// {"error": message}
std::string jsonError(std::string_view message);

}  // namespace switchboard
