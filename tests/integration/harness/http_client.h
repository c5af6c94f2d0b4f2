// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <string>
#include <vector>

namespace harness {

struct HttpResponse {
    int status = 0;  // 0 when the connection failed or the answer did not parse
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;

    // The first header of that name (any case), or "".
    std::string header(const std::string& name) const;
    bool hasHeader(const std::string& name) const;
};

// A blocking HTTP/1.1 client over one TCP connection, kept alive across requests.
class HttpConnection {
  public:
    HttpConnection(std::string host, int port) : host_(std::move(host)), port_(port) {}
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    HttpResponse request(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::vector<std::pair<std::string, std::string>>& headers = {});
    // Sends raw bytes and reads one response (for malformed requests).
    HttpResponse raw(const std::string& bytes);
    bool connected() const { return fd_ >= 0; }
    void close();

  private:
    bool ensureConnected(std::string& error);
    HttpResponse readResponse(bool head_request);

    std::string host_;
    int port_;
    int fd_ = -1;
    std::string buffer_;
};

// One request on a fresh connection.
HttpResponse httpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace harness
