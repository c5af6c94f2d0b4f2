// SPDX-License-Identifier: Apache-2.0
#include "switchboard/cluster/etcd_messages.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "switchboard/base/json.h"

namespace switchboard::etcd {

namespace {

// EVP_EncodeBlock and EVP_DecodeBlock take an int length: larger inputs go through in pieces
// of whole base64 groups (3 bytes in, 4 characters out).
constexpr std::size_t kEncodePiece = 3 << 20;
constexpr std::size_t kDecodePiece = 4 << 20;

constexpr std::string_view kJsonSpace = " \t\r\n";

bool isBase64Character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Reads the fields of an answer, remembering the first problem: a field that is absent has
// its zero value (grpc-gateway leaves empty fields out), one of the wrong type is an error.
class FieldReader {
  public:
    const cJSON* object(const cJSON* parent, const char* name) {
        const cJSON* item = member(parent, name);
        if (item && !cJSON_IsObject(item)) {
            fail(name, "is not an object");
            return nullptr;
        }
        return item;
    }

    const cJSON* array(const cJSON* parent, const char* name) {
        const cJSON* item = member(parent, name);
        if (item && !cJSON_IsArray(item)) {
            fail(name, "is not an array");
            return nullptr;
        }
        return item;
    }

    // The members of an array of objects, in order; none when it is absent.
    std::vector<const cJSON*> objects(const cJSON* parent, const char* name) {
        std::vector<const cJSON*> out;
        const cJSON* item = nullptr;
        cJSON_ArrayForEach(item, array(parent, name)) {
            if (!cJSON_IsObject(item)) {
                fail(name, "holds something that is not an object");
                return {};
            }
            out.push_back(item);
        }
        return out;
    }

    // 64-bit numbers come as JSON strings ("2"); a JSON number is taken too, if it is exact.
    std::int64_t count(const cJSON* parent, const char* name) {
        const cJSON* item = member(parent, name);
        if (!item)
            return 0;
        std::int64_t value = 0;
        if (cJSON_IsString(item)) {
            std::string_view text = item->valuestring;
            auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (problem == std::errc() && end == text.data() + text.size() && !text.empty() &&
                value >= 0)
                return value;
        } else if (cJSON_IsNumber(item)) {
            double number = item->valuedouble;
            // 2^63 is the first double out of range; below it every integral double fits.
            if (number >= 0 && number < 9223372036854775808.0 && std::floor(number) == number)
                return static_cast<std::int64_t>(number);
        }
        fail(name, "is not a 64-bit count");
        return 0;
    }

    std::string bytes(const cJSON* parent, const char* name) {
        std::string text = this->text(parent, name);
        auto decoded = base64Decode(text);
        if (!decoded) {
            fail(name, "is not base64");
            return {};
        }
        return std::move(*decoded);
    }

    std::string text(const cJSON* parent, const char* name) {
        const cJSON* item = member(parent, name);
        if (!item)
            return {};
        if (!cJSON_IsString(item)) {
            fail(name, "is not a string");
            return {};
        }
        return item->valuestring;
    }

    bool flag(const cJSON* parent, const char* name) {
        const cJSON* item = member(parent, name);
        if (!item)
            return false;
        if (!cJSON_IsBool(item)) {
            fail(name, "is not true or false");
            return false;
        }
        return cJSON_IsTrue(item);
    }

    void fail(const char* name, const char* problem) {
        if (problem_.empty())
            problem_ = std::string("\"") + name + "\" " + problem;
    }
    bool failed() const { return !problem_.empty(); }
    Error error(std::string_view what) const {
        return invalid("etcd " + std::string(what) + ": " + problem_);
    }

  private:
    static const cJSON* member(const cJSON* parent, const char* name) {
        return parent ? cJSON_GetObjectItemCaseSensitive(parent, name) : nullptr;
    }

    std::string problem_;
};

// The whole body must be one JSON object, with nothing but whitespace after it.
JsonPtr parseObject(std::string_view body) {
    const char* end = nullptr;
    JsonPtr root(cJSON_ParseWithLengthOpts(body.data(), body.size(), &end, false));
    if (!root || !cJSON_IsObject(root.get()))
        return nullptr;
    std::size_t consumed = static_cast<std::size_t>(end - body.data());
    if (body.substr(consumed).find_first_not_of(kJsonSpace) != std::string_view::npos)
        return nullptr;
    return root;
}

// An answer's object; an error body ({"error":"…"}) is refused with etcd's own words.
Result<JsonPtr> parseAnswer(std::string_view body, std::string_view what) {
    JsonPtr root = parseObject(body);
    if (!root)
        return invalid("etcd " + std::string(what) + ": not a JSON object");
    if (cJSON_GetObjectItemCaseSensitive(root.get(), "error"))
        return invalid(errorText(body));
    return root;
}

KeyValue readKeyValue(FieldReader& reader, const cJSON* kv) {
    KeyValue out;
    out.key = reader.bytes(kv, "key");
    out.value = reader.bytes(kv, "value");
    out.create_revision = reader.count(kv, "create_revision");
    out.mod_revision = reader.count(kv, "mod_revision");
    out.version = reader.count(kv, "version");
    return out;
}

// The body of a range answer (also a txn's response_range): its header's revision, or
// `default_revision` when it has none, and its kvs.
RangeAnswer readRange(FieldReader& reader, const cJSON* range, std::int64_t default_revision) {
    RangeAnswer out;
    const cJSON* header = reader.object(range, "header");
    out.revision = header ? reader.count(header, "revision") : default_revision;
    for (const cJSON* kv : reader.objects(range, "kvs"))
        out.kvs.push_back(readKeyValue(reader, kv));
    return out;
}

JsonPtr keyObject(std::string_view key, std::string_view range_end) {
    JsonObject object;
    object.add("key", base64Encode(key));
    if (!range_end.empty())
        object.add("range_end", base64Encode(range_end));
    return object.release();
}

JsonPtr operationJson(const Operation& operation) {
    switch (operation.kind) {
    case Operation::Kind::Put:
        return JsonObject()
            .add("request_put", JsonObject()
                                    .add("key", base64Encode(operation.key))
                                    .add("value", base64Encode(operation.value))
                                    .release())
            .release();
    case Operation::Kind::Delete:
        return JsonObject()
            .add("request_delete_range", keyObject(operation.key, operation.range_end))
            .release();
    case Operation::Kind::Range:
        break;
    }
    return JsonObject()
        .add("request_range", keyObject(operation.key, operation.range_end))
        .release();
}

JsonPtr operationsJson(const std::vector<Operation>& operations) {
    JsonPtr array = makeJsonArray();
    for (const Operation& operation : operations)
        appendToArray(array.get(), operationJson(operation));
    return array;
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    while (!bytes.empty()) {
        std::string_view piece = bytes.substr(0, kEncodePiece);
        bytes.remove_prefix(piece.size());
        std::size_t at = out.size();
        out.resize(at + (piece.size() + 2) / 3 * 4 + 1);  // EVP_EncodeBlock writes a NUL
        int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                      reinterpret_cast<const unsigned char*>(piece.data()),
                                      static_cast<int>(piece.size()));
        out.resize(at + static_cast<std::size_t>(written));
    }
    return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    // EVP_DecodeBlock skips surrounding whitespace and takes '=' anywhere in the last group;
    // etcd writes neither, so anything but the alphabet and one or two final '=' is refused.
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    if (!std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding),
                     isBase64Character))
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    while (!text.empty()) {
        std::string_view piece = text.substr(0, kDecodePiece);
        text.remove_prefix(piece.size());
        std::size_t at = out.size();
        out.resize(at + piece.size() / 4 * 3);
        int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                     reinterpret_cast<const unsigned char*>(piece.data()),
                                     static_cast<int>(piece.size()));
        if (length < 0)
            return std::nullopt;
        out.resize(at + static_cast<std::size_t>(length));
    }
    // EVP_DecodeBlock counts each '=' as a zero byte.
    out.resize(out.size() - padding);
    return out;
}

std::string prefixRangeEnd(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
        end.pop_back();
    if (end.empty())
        return std::string(1, '\0');
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
    return end;
}

std::string rangeRequest(std::string_view key, std::string_view range_end) {
    return JsonObject(keyObject(key, range_end)).toString();
}

std::string txnRequest(const std::vector<Compare>& compare, const std::vector<Operation>& success,
                       const std::vector<Operation>& failure) {
    JsonPtr compares = makeJsonArray();
    for (const Compare& one : compare) {
        bool create = one.target == Compare::Target::Create;
        JsonObject compared;
        compared.add("target", create ? "CREATE" : "MOD")
            .add("result", "EQUAL")
            .add("key", base64Encode(one.key));
        if (!one.range_end.empty())
            compared.add("range_end", base64Encode(one.range_end));
        compared.add(create ? "create_revision" : "mod_revision", std::to_string(one.revision));
        appendToArray(compares.get(), compared.release());
    }
    return JsonObject()
        .add("compare", std::move(compares))
        .add("success", operationsJson(success))
        .add("failure", operationsJson(failure))
        .toString();
}

std::string watchRequest(std::string_view key, std::string_view range_end,
                         std::int64_t start_revision) {
    JsonObject create(keyObject(key, range_end));
    create.add("start_revision", std::to_string(start_revision)).add("prev_kv", false);
    return JsonObject().add("create_request", create.release()).toString();
}

Result<RangeAnswer> parseRangeAnswer(std::string_view body) {
    auto root = parseAnswer(body, "range answer");
    if (!root)
        return root.error();
    FieldReader reader;
    RangeAnswer answer = readRange(reader, root->get(), 0);
    if (reader.failed())
        return reader.error("range answer");
    return answer;
}

Result<TxnAnswer> parseTxnAnswer(std::string_view body) {
    auto root = parseAnswer(body, "txn answer");
    if (!root)
        return root.error();
    FieldReader reader;
    TxnAnswer answer;
    answer.revision = reader.count(reader.object(root->get(), "header"), "revision");
    answer.succeeded = reader.flag(root->get(), "succeeded");
    for (const cJSON* response : reader.objects(root->get(), "responses")) {
        // A range inside a txn carries its own header with the revision only; should one come
        // without, the txn's revision is the one it was read at.
        if (const cJSON* range = reader.object(response, "response_range"))
            answer.ranges.push_back(readRange(reader, range, answer.revision));
    }
    if (reader.failed())
        return reader.error("txn answer");
    return answer;
}

Result<WatchMessage> parseWatchMessage(std::string_view json) {
    auto root = parseAnswer(json, "watch message");
    if (!root)
        return root.error();
    FieldReader reader;
    const cJSON* result = reader.object(root->get(), "result");
    if (!result && !reader.failed())
        return invalid("etcd watch message: no \"result\"");
    WatchMessage message;
    message.revision = reader.count(reader.object(result, "header"), "revision");
    message.created = reader.flag(result, "created");
    message.canceled = reader.flag(result, "canceled");
    message.compact_revision = reader.count(result, "compact_revision");
    message.cancel_reason = reader.text(result, "cancel_reason");
    for (const cJSON* event : reader.objects(result, "events")) {
        WatchEvent out;
        std::string type = reader.text(event, "type");
        if (type == "DELETE")
            out.type = WatchEvent::Type::Delete;
        else if (!type.empty() && type != "PUT")
            reader.fail("type", "is neither PUT nor DELETE");
        out.kv = readKeyValue(reader, reader.object(event, "kv"));
        message.events.push_back(std::move(out));
    }
    if (reader.failed())
        return reader.error("watch message");
    return message;
}

std::string errorText(std::string_view body) {
    if (JsonPtr root = parseObject(body)) {
        const cJSON* error = cJSON_GetObjectItemCaseSensitive(root.get(), "error");
        // A watch stream's error is an object of its own: {"error":{"message":"…",…}}.
        const cJSON* holder = cJSON_IsObject(error) ? error : root.get();
        for (const char* name : {"message", "error"}) {
            const cJSON* text = cJSON_GetObjectItemCaseSensitive(holder, name);
            if (cJSON_IsString(text) && *text->valuestring)
                return text->valuestring;
        }
    }
    return std::string(body.substr(0, 200));
}

void JsonStreamSplitter::feed(std::string_view bytes) {
    if (broken_)
        return;
    pending_.append(bytes);
    std::size_t at = scanned_;
    // The current object starts right after the last whole one: whitespace between objects
    // is dropped as it arrives, so it never counts against max_object_ nor piles up.
    std::size_t object_start = ends_.empty() ? 0 : ends_.back();
    while (at < pending_.size()) {
        char c = pending_[at];
        if (depth_ == 0) {
            if (kJsonSpace.find(c) != std::string_view::npos) {
                std::size_t run_end = pending_.find_first_not_of(kJsonSpace, at);
                pending_.erase(at, run_end == std::string::npos ? std::string::npos : run_end - at);
                continue;
            }
            if (c != '{') {
                broken_ = true;
                break;
            }
            object_start = at;
            depth_ = 1;
        } else if (in_string_) {
            if (escaped_)
                escaped_ = false;
            else if (c == '\\')
                escaped_ = true;
            else if (c == '"')
                in_string_ = false;
        } else if (c == '"') {
            in_string_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            // Brackets inside are left for the parser to match; the object's own must be '}'.
            if (--depth_ == 0) {
                if (c != '}') {
                    broken_ = true;
                    break;
                }
                ends_.push_back(at + 1);
            }
        }
        ++at;
        if (at - object_start > max_object_) {
            if (depth_ == 0)
                ends_.pop_back();  // it has just ended, one byte too large
            broken_ = true;
            break;
        }
    }
    if (broken_) {
        // The whole objects before the break are still good; nothing after them is kept.
        pending_.resize(ends_.empty() ? 0 : ends_.back());
        at = pending_.size();
    }
    scanned_ = at;
}

std::optional<std::string> JsonStreamSplitter::next() {
    if (ends_.empty())
        return std::nullopt;
    std::size_t end = ends_.front();
    std::string object = pending_.substr(0, end);
    pending_.erase(0, end);
    ends_.erase(ends_.begin());
    for (std::size_t& later : ends_)
        later -= end;
    scanned_ -= end;
    return object;
}

}  // namespace switchboard::etcd
