// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real browser for the status page tests (SPEC §11): headless Chromium driven over its
// DevTools protocol (CDP), spoken through the harness's own WebSocket client. No driver,
// no Python: chromium from PATH (or $SWITCHBOARD_CHROMIUM), one page target, and the
// commands the tests need (navigate, evaluate, screenshot), each with a timeout.
#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/switchboard_process.h"
#include "harness/websocket.h"

namespace harness {

// The answer to one CDP command: its "result" object as JSON text, or what went wrong.
struct CdpReply {
    bool ok = false;
    std::string result;  // JSON text
    std::string error;   // when !ok: the command's error, or a timeout or a broken connection
};

// Headless Chromium with one page open, attached. Its profile lives in a temp dir; on
// destruction the whole process group is killed and the dir removed, whatever the test did.
class HeadlessChromium {
  public:
    // Starts the browser and opens a page of `width` x `height` CSS pixels. started() says
    // whether that worked; error() why not (chromium missing: `make deps` installs it).
    explicit HeadlessChromium(int width = 1280, int height = 900);
    ~HeadlessChromium();
    HeadlessChromium(const HeadlessChromium&) = delete;
    HeadlessChromium& operator=(const HeadlessChromium&) = delete;

    bool started() const { return started_; }
    const std::string& error() const { return error_; }

    // A command to the page, `params` a JSON object; waits up to `timeout_ms` for its answer.
    // Events that arrive meanwhile are kept for events().
    CdpReply call(const std::string& method, const std::string& params = "{}",
                  int timeout_ms = 10000);
    // Page.navigate, then waits until the new document has loaded.
    CdpReply navigate(const std::string& url, int timeout_ms = 10000);
    // Runtime.evaluate with awaitPromise and returnByValue: on success `result` is the
    // expression's value as JSON text ("true", "\"text\"", "null"); a thrown exception is !ok.
    CdpReply evaluate(const std::string& expression, int timeout_ms = 10000);
    // Evaluates `expression` every 50 ms until it is truthy, up to `timeout_ms`. An exception
    // counts as false (the element is not there yet).
    bool waitFor(const std::string& expression, int timeout_ms = 5000);
    // The page as a PNG (the whole document, not only the viewport); "" on failure.
    std::string screenshotPng();

    // The params (JSON text) of every event named `method` received so far, in order. Enable
    // the domain first (call("Network.enable")).
    std::vector<std::string> events(const std::string& method) const;
    // What the browser printed on stdout and stderr, for a failure's message.
    std::string log() const;

  private:
    bool launch();
    // A command on the browser's connection; with `session` set, to that target.
    CdpReply send(const std::string& method, const std::string& params, const std::string& session,
                  int timeout_ms);
    void kill();

    TempDir dir_;  // the profile and the log
    pid_t pid_ = -1;
    std::unique_ptr<WebSocketClient> socket_;
    std::string session_;  // the page's, from Target.attachToTarget
    int width_;
    int height_;
    int next_id_ = 1;
    std::vector<std::pair<std::string, std::string>> events_;  // (method, params)
    bool started_ = false;
    std::string error_;
};

// `text` as a JavaScript (and JSON) string literal, quotes included: for building
// expressions from test data.
std::string jsString(const std::string& text);

}  // namespace harness
