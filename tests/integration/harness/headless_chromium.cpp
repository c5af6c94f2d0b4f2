// SPDX-License-Identifier: Apache-2.0
#include "harness/headless_chromium.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace harness {

namespace {

using Clock = std::chrono::steady_clock;
using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

JsonPtr parse(const std::string& text) {
    return JsonPtr(cJSON_Parse(text.c_str()), cJSON_Delete);
}

std::string print(const cJSON* node) {
    if (!node)
        return "null";
    char* text = cJSON_PrintUnformatted(node);
    std::string printed = text ? text : "null";
    cJSON_free(text);
    return printed;
}

std::string member(const cJSON* object, const char* name) {
    const cJSON* node = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(node) ? node->valuestring : "";
}

int millisecondsLeft(Clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string fromBase64(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0)
        return "";
    std::string out(text.size() / 4 * 3, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
    if (length < 0)
        return "";
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t padding = text.size() - text.find_last_not_of('=') - 1;
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

// The browser: $SWITCHBOARD_CHROMIUM, else `chromium` (Debian's package) from PATH.
std::string browserProgram() {
    const char* chosen = std::getenv("SWITCHBOARD_CHROMIUM");
    return chosen && *chosen ? chosen : "chromium";
}

}  // namespace

std::string jsString(const std::string& text) {
    JsonPtr string(cJSON_CreateString(text.c_str()), cJSON_Delete);
    return print(string.get());
}

HeadlessChromium::HeadlessChromium(int width, int height) : width_(width), height_(height) {
    started_ = launch();
    if (!started_)
        kill();
}

HeadlessChromium::~HeadlessChromium() {
    kill();
}

bool HeadlessChromium::launch() {
    const std::string profile = dir_.file("profile");
    const std::string log_path = dir_.file("chromium.log");
    const std::string program = browserProgram();
    std::vector<std::string> args = {
        program, "--headless=new", "--no-sandbox", "--disable-gpu",
        // Nothing the tests do not ask for: no first-run UI, no background traffic.
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-sync", "--disable-component-update",
        "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"};
    const PreparedExec browser(std::move(args), log_path, log_path);
    pid_ = fork();
    if (pid_ == 0) {
        // A process group of its own, so that kill() reaches the renderer, GPU and zygote
        // processes too, not only the one we started.
        setpgid(0, 0);
        browser.exec();
    }
    if (pid_ < 0) {
        error_ = "fork failed";
        return false;
    }
    setpgid(pid_, pid_);  // also here: whichever of the two runs first

    // Chromium writes the port it bound, and the browser target's path, to this file.
    const std::string port_file = profile + "/DevToolsActivePort";
    // Usually under a second. A first start on a machine builds fontconfig's caches, and two
    // browsers starting at once on a loaded 2-core machine were seen to take over 20 s.
    constexpr int kStartSeconds = 60;
    const auto deadline = Clock::now() + std::chrono::seconds(kStartSeconds);
    std::string port_line, path_line;
    while (true) {
        std::ifstream in(port_file);
        if (std::getline(in, port_line) && std::getline(in, path_line) && !path_line.empty())
            break;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            const std::string how = WIFEXITED(status)
                                        ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status));
            error_ = program + " ended before it opened its DevTools port (" + how +
                     "; 127: not found). Is it installed? `make deps` installs it.\n" + log();
            return false;
        }
        if (Clock::now() >= deadline) {
            error_ = program + " did not write " + port_file + " within " +
                     std::to_string(kStartSeconds) + " s\n" + log();
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int port = std::atoi(port_line.c_str());
    socket_ = std::make_unique<WebSocketClient>(port);
    // DevTools refuses a Host that is not an IP address or localhost (DNS rebinding).
    socket_->handshake(path_line, "", "127.0.0.1:" + std::to_string(port));
    if (!socket_->accepted()) {
        error_ = "the DevTools WebSocket handshake on port " + port_line + " failed\n" + log();
        return false;
    }

    CdpReply created = send("Target.createTarget", R"({"url":"about:blank"})", "", 10000);
    auto target = parse(created.result);
    const std::string target_id = target ? member(target.get(), "targetId") : "";
    if (!created.ok || target_id.empty()) {
        error_ = "Target.createTarget: " + created.error + created.result;
        return false;
    }
    CdpReply attached =
        send("Target.attachToTarget",
             R"({"targetId":)" + jsString(target_id) + R"(,"flatten":true})", "", 10000);
    auto session = parse(attached.result);
    session_ = session ? member(session.get(), "sessionId") : "";
    if (!attached.ok || session_.empty()) {
        error_ = "Target.attachToTarget: " + attached.error + attached.result;
        return false;
    }
    for (const auto& [method, params] : std::vector<std::pair<std::string, std::string>>{
             {"Page.enable", "{}"},
             {"Emulation.setDeviceMetricsOverride",
              R"({"width":)" + std::to_string(width_) + R"(,"height":)" + std::to_string(height_) +
                  R"(,"deviceScaleFactor":1,"mobile":false})"}}) {
        CdpReply reply = call(method, params);
        if (!reply.ok) {
            error_ = method + ": " + reply.error;
            return false;
        }
    }
    return true;
}

CdpReply HeadlessChromium::send(const std::string& method, const std::string& params,
                                const std::string& session, int timeout_ms) {
    CdpReply reply;
    if (!socket_) {
        reply.error = "no DevTools connection";
        return reply;
    }
    const int id = next_id_++;
    std::string message = R"({"id":)" + std::to_string(id) + R"(,"method":)" + jsString(method) +
                          R"(,"params":)" + params;
    if (!session.empty())
        message += R"(,"sessionId":)" + jsString(session);
    message += "}";
    socket_->sendFrame(kWsText, message);

    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        WebSocketFrame frame = socket_->readFrame(millisecondsLeft(deadline));
        if (!frame.ok) {
            reply.error = method + ": no answer within " + std::to_string(timeout_ms) + " ms";
            return reply;
        }
        if (frame.opcode != kWsText)
            continue;
        auto answer = parse(frame.payload);
        if (!answer)
            continue;
        const cJSON* answer_id = cJSON_GetObjectItemCaseSensitive(answer.get(), "id");
        if (!cJSON_IsNumber(answer_id)) {
            events_.emplace_back(member(answer.get(), "method"),
                                 print(cJSON_GetObjectItemCaseSensitive(answer.get(), "params")));
            continue;
        }
        if (answer_id->valueint != id)
            continue;  // the answer to a command that timed out earlier
        if (const cJSON* error = cJSON_GetObjectItemCaseSensitive(answer.get(), "error")) {
            reply.error = method + ": " + print(error);
            return reply;
        }
        reply.ok = true;
        reply.result = print(cJSON_GetObjectItemCaseSensitive(answer.get(), "result"));
        return reply;
    }
}

CdpReply HeadlessChromium::call(const std::string& method, const std::string& params,
                                int timeout_ms) {
    return send(method, params, session_, timeout_ms);
}

CdpReply HeadlessChromium::navigate(const std::string& url, int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    CdpReply reply = call("Page.navigate", R"({"url":)" + jsString(url) + "}", timeout_ms);
    if (!reply.ok)
        return reply;
    auto result = parse(reply.result);
    if (std::string failed = result ? member(result.get(), "errorText") : ""; !failed.empty()) {
        reply.ok = false;
        reply.error = "Page.navigate " + url + ": " + failed;
        return reply;
    }
    if (!waitFor("document.readyState === 'complete' && location.href === " + jsString(url),
                 millisecondsLeft(deadline))) {
        reply.ok = false;
        reply.error =
            "Page.navigate " + url + ": not loaded within " + std::to_string(timeout_ms) + " ms";
    }
    return reply;
}

CdpReply HeadlessChromium::evaluate(const std::string& expression, int timeout_ms) {
    CdpReply reply = call("Runtime.evaluate",
                          R"({"expression":)" + jsString(expression) +
                              R"(,"awaitPromise":true,"returnByValue":true})",
                          timeout_ms);
    if (!reply.ok)
        return reply;
    auto result = parse(reply.result);
    if (!result) {
        reply.ok = false;
        reply.error = "Runtime.evaluate: unreadable answer " + reply.result;
        return reply;
    }
    if (const cJSON* thrown = cJSON_GetObjectItemCaseSensitive(result.get(), "exceptionDetails")) {
        reply.ok = false;
        reply.error = "Runtime.evaluate threw: " + print(thrown);
        return reply;
    }
    const cJSON* value = cJSON_GetObjectItemCaseSensitive(result.get(), "result");
    reply.result = print(cJSON_GetObjectItemCaseSensitive(value, "value"));
    return reply;
}

bool HeadlessChromium::waitFor(const std::string& expression, int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const std::string check =
        "(() => { try { return Boolean(" + expression + "); } catch (e) { return false; } })()";
    while (true) {
        CdpReply reply = evaluate(check, std::max(millisecondsLeft(deadline), 1000));
        if (reply.ok && reply.result == "true")
            return true;
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string HeadlessChromium::screenshotPng() {
    // The whole document: the viewport grown to its height for the capture, then put back.
    CdpReply height = evaluate("document.documentElement.scrollHeight");
    const int full = height.ok ? std::max(std::atoi(height.result.c_str()), height_) : height_;
    auto metrics = [&](int h) {
        return R"({"width":)" + std::to_string(width_) + R"(,"height":)" + std::to_string(h) +
               R"(,"deviceScaleFactor":1,"mobile":false})";
    };
    call("Emulation.setDeviceMetricsOverride", metrics(full));
    CdpReply shot = call("Page.captureScreenshot", R"({"format":"png"})", 20000);
    call("Emulation.setDeviceMetricsOverride", metrics(height_));
    if (!shot.ok)
        return "";
    auto result = parse(shot.result);
    return result ? fromBase64(member(result.get(), "data")) : "";
}

std::vector<std::string> HeadlessChromium::events(const std::string& method) const {
    std::vector<std::string> found;
    for (const auto& [name, params] : events_)
        if (name == method)
            found.push_back(params);
    return found;
}

std::string HeadlessChromium::log() const {
    std::string text = readFile(dir_.file("chromium.log"));
    constexpr std::size_t kTail = 4000;
    return text.size() > kTail ? "..." + text.substr(text.size() - kTail) : text;
}

void HeadlessChromium::kill() {
    socket_.reset();
    if (pid_ <= 0)
        return;
    ::kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    // The group's other processes are not our children: wait (briefly) until they are gone,
    // so that the profile dir is not being written while TempDir removes it.
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (::kill(-pid_, 0) == 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pid_ = -1;
}

}  // namespace harness
