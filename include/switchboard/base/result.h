// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace switchboard {

// What went wrong, in the terms an HTTP caller understands: each kind maps to one status.
enum class ErrorKind {
    Invalid,      // 400: the input is wrong
    NotFound,     // 404
    Conflict,     // 409: the world changed under the caller (file edited on disk)
    Io,           // 500: the change could not be saved
    Unavailable,  // 503: the store that keeps the change cannot be reached (SPEC §12)
};

int httpStatusFor(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::Invalid;
    std::string message;
    // Further detail that must not change `message` (SPEC §11: the 409's error text is fixed;
    // why the file counts as changed goes in "reason"). "" for none.
    std::string reason;

    // The message with the reason in parentheses, for logs and the change journal.
    std::string describe() const {
        return reason.empty() ? message : message + " (" + reason + ")";
    }
};

// A value or an Error. Errors that can happen (bad input, network, disk) travel as values;
// exceptions never cross a C callback.
template <typename T> class Result {
  public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<1>(state_); }

  private:
    std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error invalid(std::string message) {
    return {ErrorKind::Invalid, std::move(message), {}};
}
inline Error notFound(std::string message) {
    return {ErrorKind::NotFound, std::move(message), {}};
}
inline Error conflict(std::string message, std::string reason = {}) {
    return {ErrorKind::Conflict, std::move(message), std::move(reason)};
}
inline Error ioError(std::string message) {
    return {ErrorKind::Io, std::move(message), {}};
}
inline Error unavailable(std::string message, std::string reason = {}) {
    return {ErrorKind::Unavailable, std::move(message), std::move(reason)};
}

}  // namespace switchboard
