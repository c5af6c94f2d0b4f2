#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/soak.py -- the soak test's engine (run it through bench/soak; see bench/README.md).

Runs switchboard on loopback in front of a few upstreams and, for DURATION seconds, while
wrk sends load through the proxy:
  * the admin API adds and removes an upstream every 100 ms (REST and seed calls in turn),
  * the config file is edited by hand and SIGHUP sent every 2 s,
  * one upstream is killed (SIGKILL) and restarted every 10 s,
  * after every change the file is copied and checked with `switchboard -t`,
  * switchboard's RSS is sampled every second.
Then it prints a report: requests served, every non-2xx by status and body (and whether it
came within 2 s of an upstream kill), socket errors, admin calls by status, edits, config
checks, RSS at start and end, and whether switchboard survived and stopped cleanly.

Only the Python standard library; every address is 127.0.0.1.
"""

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

UPSTREAM = "upstream"


# ---- an upstream: HTTP/1.1 keep-alive, answers 200 with its name (padded to BODY_BYTES) -----

def serve_upstream(port, name):
    body = name.encode()
    # BODY_BYTES: pad the answer to this size, so that large bodies (spliced by the proxy)
    # are under the same churn as small ones.
    size = int(os.environ.get("BODY_BYTES", "0"))
    if size > len(body):
        body += b"." * (size - len(body))

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                chunked = False
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    key = key.strip().lower()
                    if key == b"content-length":
                        length = int(value.strip() or b"0")
                    elif key == b"transfer-encoding" and b"chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                elif length:
                    await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError,
                asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True,
                                            backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# ---- helpers --------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def admin_call(port, method, path, body=None):
    """(status, body text); status 0 when the call itself failed."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        conn.close()
        return response.status, text
    except (OSError, http.client.HTTPException) as error:
        return 0, str(error)


def wait_for(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


WRK_SCRIPT = r"""
-- Counts every non-2xx answer by status, body and second, per thread; done() prints them.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = {} end
function response(status, headers, body)
  if status < 200 or status > 299 then
    local key = status .. "\t" .. os.time() .. "\t" .. string.sub(body or "", 1, 160):gsub("[\r\n\t]", " ")
    failures[key] = (failures[key] or 0) + 1
  end
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local f = thread:get("failures")
    for key, count in pairs(f) do io.write("NON2XX\t", count, "\t", key, "\n") end
  end
  local e = summary.errors
  io.write("SUMMARY\t", summary.requests, "\t", summary.duration, "\t", e.connect, "\t",
           e.read, "\t", e.write, "\t", e.status, "\t", e.timeout, "\t", summary.bytes, "\n")
  io.write("LATENCY\t", latency:percentile(50), "\t", latency:percentile(99), "\t",
           latency.max, "\n")
end
"""


class Soak:
    def __init__(self, args):
        self.binary = args["binary"]
        self.duration = args["duration"]
        self.connections = args["connections"]
        self.threads = args["threads"]
        self.out = args["out"]
        self.keep = args["keep"]
        self.tmp = tempfile.mkdtemp(prefix="switchboard-soak-")
        self.config = os.path.join(self.tmp, "switchboard.toml")
        self.proxy_port = free_port()
        self.admin_port = free_port()
        self.upstreams = {}  # name -> [port, Popen]
        self.processes = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.admin_results = Counter()   # "METHOD status" -> count
        self.admin_failures = Counter()  # unexpected answers, "status body"
        self.edits = 0
        self.reloads = Counter()
        self.checks = Counter()          # "ok" / "failed"
        self.check_failures = []
        self.kills = []                  # times of SIGKILL
        self.rss = []                    # (t, KiB)
        self.change_lock = threading.Lock()  # file edits and admin changes take turns on -t

    # -- processes --
    def start_upstream(self, name, port):
        process = subprocess.Popen([sys.executable, os.path.abspath(__file__), UPSTREAM,
                                    str(port), name], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.processes.append(process)
        self.upstreams[name] = [port, process]
        if not wait_for(lambda: self.port_open(port), 5):
            raise RuntimeError(f"upstream {name} did not start on {port}")

    @staticmethod
    def port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def address(self, name):
        return f"127.0.0.1:{self.upstreams[name][0]}"

    def start(self):
        for name in ("stable-a", "stable-b", "killed", "churned"):
            self.start_upstream(name, free_port())
        text = f"""# soak test configuration
[proxy]
listen = "127.0.0.1:{self.proxy_port}"
access_log = ""
retries = 3
fail_timeout_ms = 2000

[admin]
listen = "127.0.0.1:{self.admin_port}"

# the service under load
[services.app]
route = "/"
upstreams = ["{self.address('stable-a')}", "{self.address('stable-b')}", "{self.address('killed')}"]

[services.side]
route = "/side"
upstreams = ["{self.address('stable-a')}"]
"""
        with open(self.config, "w") as f:
            f.write(text)
        self.log_path = os.path.join(self.tmp, "switchboard.log")
        self.log_file = open(self.log_path, "w")
        self.switchboard = subprocess.Popen([self.binary, "-c", self.config],
                                            stdout=self.log_file, stderr=subprocess.STDOUT)
        self.processes.append(self.switchboard)
        if not wait_for(lambda: admin_call(self.admin_port, "GET", "/healthz")[0] == 200, 10):
            raise RuntimeError("switchboard did not start; log: " + self.read_log())

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    # -- the config file after every change --
    def check_config(self, what):
        copy = os.path.join(self.tmp, "check.toml")
        with self.lock:
            try:
                shutil.copyfile(self.config, copy)
            except OSError as error:
                self.checks["failed"] += 1
                self.check_failures.append(f"{what}: copy failed: {error}")
                return
            result = subprocess.run([self.binary, "-t", "-c", copy], capture_output=True,
                                    text=True)
            if result.returncode == 0:
                self.checks["ok"] += 1
            else:
                self.checks["failed"] += 1
                kept = os.path.join(self.tmp, f"bad-{len(self.check_failures)}.toml")
                shutil.copyfile(copy, kept)
                self.check_failures.append(f"{what}: {result.stderr.strip()} (kept {kept})")

    # -- the three kinds of change --
    def churn_admin(self):
        address = self.address("churned")
        step = 0
        while not self.stop.is_set():
            started = time.time()
            rest = step % 4 < 2
            adding = step % 2 == 0
            if rest and adding:
                method, path, body = "POST", "/services/app/upstreams", json.dumps({"address": address})
            elif rest:
                method, path, body = "DELETE", f"/services/app/upstreams/{address}", None
            elif adding:
                method, path, body = "POST", f"/add_upstream/app/{address}", None
            else:
                method, path, body = "POST", f"/remove_upstream/app/{address}", None
            with self.change_lock:
                status, text = admin_call(self.admin_port, method, path, body)
            call = f"{method} {path.split('/')[1]}"
            self.admin_results[f"{call} -> {status}"] += 1
            if status in (200, 201):
                step += 1
                self.check_config(call)
            elif status == 404 and not adding:
                step += 1  # already gone (a hand edit reloaded without it)
            elif status != 409:  # 409: the file was edited by hand, not reloaded yet
                self.admin_failures[f"{status} {text[:160]}"] += 1
            self.stop.wait(max(0.0, 0.1 - (time.time() - started)))

    def edit_and_reload(self):
        while not self.stop.wait(2.0):
            with self.change_lock:
                with open(self.config) as f:
                    text = f.read()
                self.edits += 1
                retries = 3 + self.edits % 2
                if re.search(r"(?m)^retries = \d+", text):
                    text = re.sub(r"(?m)^retries = \d+", f"retries = {retries}", text)
                else:
                    text = text.replace("[proxy]\n", f"[proxy]\nretries = {retries}\n", 1)
                text = re.sub(r"(?m)^# hand edit \d+\n", "", text)
                text = text.replace("[services.side]\n", f"# hand edit {self.edits}\n[services.side]\n", 1)
                temp = self.config + ".edit"
                with open(temp, "w") as f:
                    f.write(text)
                os.replace(temp, self.config)
                self.check_config("hand edit")
                self.switchboard.send_signal(signal.SIGHUP)
                # The next admin change must not see the file ahead of the running config.
                before = self.read_log().count("SIGHUP: reloaded")
                wait_for(lambda: self.read_log().count("SIGHUP: reloaded") > before or
                         "reload refused" in self.read_log(), 3)

    def kill_and_restart(self):
        while not self.stop.wait(10.0):
            port, process = self.upstreams["killed"]
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.kills.append(time.time())
            self.stop.wait(1.0)
            self.start_upstream("killed", port)

    def sample_rss(self):
        while not self.stop.is_set():
            self.rss.append((time.time(), rss_kib(self.switchboard.pid)))
            self.stop.wait(1.0)

    # -- the run --
    def run(self):
        self.start()
        script = os.path.join(self.tmp, "soak.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        # A short warm-up, so that the RSS at start is that of a proxy in service.
        subprocess.run(["wrk", "-t1", "-c10", "-d2s", f"http://127.0.0.1:{self.proxy_port}/"],
                       capture_output=True)
        started = time.time()
        wrk = subprocess.Popen(["wrk", f"-t{self.threads}", f"-c{self.connections}",
                                f"-d{self.duration}s", "--timeout", "10s", "--latency", "-s", script,
                                f"http://127.0.0.1:{self.proxy_port}/"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.processes.append(wrk)
        workers = [threading.Thread(target=t, daemon=True) for t in
                   (self.churn_admin, self.edit_and_reload, self.kill_and_restart, self.sample_rss)]
        for worker in workers:
            worker.start()
        output, _ = wrk.communicate()
        self.stop.set()
        for worker in workers:
            worker.join(15)
        elapsed = time.time() - started
        alive = self.switchboard.poll() is None
        rss_end = rss_kib(self.switchboard.pid)
        self.switchboard.send_signal(signal.SIGTERM)
        try:
            exit_status = self.switchboard.wait(20)
        except subprocess.TimeoutExpired:
            exit_status = "did not stop in 20 s"
        self.report(output, elapsed, alive, rss_end, exit_status)

    def report(self, wrk_output, elapsed, alive, rss_end, exit_status):
        non2xx = Counter()
        near_kill = Counter()
        summary = latency = None
        for line in wrk_output.splitlines():
            fields = line.split("\t")
            if fields[0] == "NON2XX" and len(fields) >= 5:
                count, status, second, body = int(fields[1]), fields[2], int(fields[3]), fields[4]
                key = f"{status} {body}"
                non2xx[key] += count
                if any(kill - 1 <= second <= kill + 3 for kill in self.kills):
                    near_kill[key] += count
            elif fields[0] == "SUMMARY":
                summary = [int(float(x)) for x in fields[1:]]
            elif fields[0] == "LATENCY":
                latency = [int(float(x)) for x in fields[1:]]
        log = self.read_log()
        log_levels = Counter(m.group(1) for m in re.finditer(r"switchboard\[\d+\]: (\w+):", log))
        log_lines = Counter()
        for line in log.splitlines():
            if ": warn:" in line or ": error:" in line:
                log_lines[re.sub(r"\d+", "N", line.split(": ", 2)[-1])[:140]] += 1
        rss_values = [kib for _, kib in self.rss if kib > 0]
        out = []
        say = out.append
        say(f"# switchboard soak: {self.duration} s, {self.connections} connections, "
            f"{self.threads} wrk threads ({time.strftime('%Y-%m-%d %H:%M')})")
        say("")
        if summary:
            requests, duration_us, e_connect, e_read, e_write, e_status, e_timeout, received = summary
            say(f"- requests served: {requests} in {duration_us / 1e6:.0f} s "
                f"({requests / (duration_us / 1e6):.0f} req/s, {received / 2**20:.0f} MiB received)")
            if latency:
                say(f"- latency: p50 {latency[0] / 1000:.2f} ms, p99 {latency[1] / 1000:.2f} ms, "
                    f"max {latency[2] / 1000:.1f} ms")
            say(f"- non-2xx answers: {e_status}; socket errors: connect {e_connect}, read {e_read}, "
                f"write {e_write}, timeout {e_timeout}")
        else:
            say("- wrk gave no summary; its output:")
            say("```\n" + wrk_output[-2000:] + "\n```")
        for key, count in non2xx.most_common():
            say(f"  - {count} x `{key}` ({near_kill[key]} within 3 s after an upstream kill)")
        unexplained = sum(count for key, count in non2xx.items()
                          if key.startswith("5") and near_kill[key] < count)
        say(f"- 5xx not explained by a kill: {unexplained}")
        say(f"- upstream kills (SIGKILL + restart 1 s later): {len(self.kills)}")
        say(f"- admin calls (add/remove every 100 ms): " +
            ", ".join(f"{k}: {v}" for k, v in sorted(self.admin_results.items())))
        for key, count in self.admin_failures.most_common():
            say(f"  - unexpected: {count} x {key}")
        say(f"- hand edits + SIGHUP: {self.edits}; reloads in the log: "
            f"{log.count('SIGHUP: reloaded')} ok, {log.count('reload refused')} refused")
        say(f"- config file checked with `switchboard -t` after every change: "
            f"{self.checks['ok']} ok, {self.checks['failed']} failed")
        for failure in self.check_failures[:10]:
            say(f"  - {failure}")
        if rss_values:
            say(f"- RSS: {rss_values[0] / 1024:.1f} MiB at start, {rss_end / 1024:.1f} MiB at end, "
                f"{max(rss_values) / 1024:.1f} MiB peak")
            # The shape tells growth from filling a bounded structure (the change journal
            # keeps the last 1000 changes: about 1 MiB, full after some 100 s of churn).
            marks = [rss_values[min(len(rss_values) - 1, len(rss_values) * i // 10)]
                     for i in range(11)]
            say("- RSS every tenth of the run (MiB): " +
                " ".join(f"{kib / 1024:.1f}" for kib in marks))
        say(f"- switchboard alive at the end: {'yes' if alive else 'NO'}; exit status after "
            f"SIGTERM: {exit_status}")
        say(f"- log lines by level: " + ", ".join(f"{k}: {v}" for k, v in sorted(log_levels.items())))
        for line, count in log_lines.most_common(12):
            say(f"  - {count} x {line}")
        say(f"- wall time: {elapsed:.0f} s")
        write_report(out, self.out)
        self.passed = (alive and exit_status == 0 and unexplained == 0 and
                       self.checks["failed"] == 0 and not self.admin_failures)

    def cleanup(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for name, (port, process) in self.upstreams.items():
            if process.poll() is None:
                process.kill()
        if self.keep:
            print(f"soak: kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run_main(soak_class):
    """Runs one soak of soak_class with the environment's knobs; the exit status."""
    args = {
        "binary": os.environ["SWITCHBOARD_BIN"],
        "duration": int(os.environ.get("DURATION", "300")),
        "connections": int(os.environ.get("CONNS", "50")),
        "threads": int(os.environ.get("WRK_THREADS", "2")),
        "out": os.environ.get("OUT", ""),
        "keep": os.environ.get("KEEP_TMP", "0") == "1",
    }
    run = soak_class(args)
    run.passed = False
    try:
        run.run()
    finally:
        run.cleanup()
    return 0 if run.passed else 1


def write_report(lines, out):
    """Prints the report and writes it to `out` too (when set)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write(text)
        print(f"soak: report written to {out}", file=sys.stderr)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == UPSTREAM:
        serve_upstream(int(sys.argv[2]), sys.argv[3])
        return 0
    return run_main(Soak)


if __name__ == "__main__":
    sys.exit(main())
