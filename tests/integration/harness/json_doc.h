// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <string>

namespace harness {

// A parsed JSON body for assertions: doc["upstreams"][0]["address"].str().
class JsonDoc {
  public:
    explicit JsonDoc(const std::string& text)
        : root_(cJSON_Parse(text.c_str()), cJSON_Delete), node_(root_.get()) {}

    bool valid() const { return node_ != nullptr; }
    JsonDoc operator[](const char* key) const {
        return JsonDoc(root_, node_ ? cJSON_GetObjectItemCaseSensitive(node_, key) : nullptr);
    }
    JsonDoc operator[](int index) const {
        return JsonDoc(root_, node_ ? cJSON_GetArrayItem(node_, index) : nullptr);
    }
    std::string str() const {
        return node_ && cJSON_IsString(node_) ? node_->valuestring : "<not a string>";
    }
    double num() const { return node_ && cJSON_IsNumber(node_) ? node_->valuedouble : -1; }
    bool isTrue() const { return node_ && cJSON_IsTrue(node_); }
    bool isBool() const { return node_ && cJSON_IsBool(node_); }
    bool isNull() const { return node_ && cJSON_IsNull(node_); }
    int size() const { return node_ ? cJSON_GetArraySize(node_) : -1; }

  private:
    JsonDoc(std::shared_ptr<cJSON> root, cJSON* node) : root_(std::move(root)), node_(node) {}
    std::shared_ptr<cJSON> root_;
    cJSON* node_;
};

}  // namespace harness
