// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/json.h"

#include <cstdlib>

namespace switchboard {

JsonObject& JsonObject::add(const char* key, std::string_view value) {
    cJSON_AddItemToObject(root_.get(), key, cJSON_CreateString(std::string(value).c_str()));
    return *this;
}

JsonObject& JsonObject::add(const char* key, std::int64_t value) {
    cJSON_AddItemToObject(root_.get(), key, cJSON_CreateNumber(static_cast<double>(value)));
    return *this;
}

JsonObject& JsonObject::add(const char* key, std::uint64_t value) {
    cJSON_AddItemToObject(root_.get(), key, cJSON_CreateNumber(static_cast<double>(value)));
    return *this;
}

JsonObject& JsonObject::add(const char* key, bool value) {
    cJSON_AddItemToObject(root_.get(), key, cJSON_CreateBool(value));
    return *this;
}

JsonObject& JsonObject::add(const char* key, JsonPtr value) {
    cJSON_AddItemToObject(root_.get(), key, value.release());
    return *this;
}

std::string JsonObject::toString() const {
    char* text = cJSON_PrintUnformatted(root_.get());
    if (!text)
        return "{}";
    std::string result(text);
    cJSON_free(text);
    return result;
}

JsonPtr makeJsonArray() {
    return JsonPtr(cJSON_CreateArray());
}

void appendToArray(cJSON* array, JsonPtr item) {
    cJSON_AddItemToArray(array, item.release());
}

std::string jsonError(std::string_view message) {
    return JsonObject().add("error", message).toString();
}

}  // namespace switchboard
