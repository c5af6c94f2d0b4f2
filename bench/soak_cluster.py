#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/soak_cluster.py -- the soak's cluster mode (CLUSTER=1 bench/soak; see bench/README.md).

Three switchboard instances share their services through one etcd (SPEC §12). For DURATION
seconds, while wrk sends load through all three proxies:
  * every 100 ms an admin change (add or remove an upstream of the service `churn`) goes
    through a random instance, and the time until the two others serve it is measured,
  * every 20 s etcd is restarted (SIGTERM, then started again on the same ports and data
    dir), which cuts every instance's etcd connection.
Then it waits for the three to agree and checks that every acknowledged change is on all
three and in etcd. It prints requests, non-2xx, changes by status, propagation p50/p99/max,
RSS and whether each instance stopped cleanly. Loopback only; the Python standard library,
and soak.py's upstream, wrk script and helpers.
"""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

import soak
from soak import admin_call, free_port, rss_kib, wait_for

CHURN_ADDRESSES = [f"127.0.0.1:{port}" for port in range(21001, 21011)]  # never dialled: maint
PREFIX = "/switchboard/soak/"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else -1


class Etcd:
    """One etcd member on loopback, restartable on the same ports and data dir."""

    def __init__(self, tmp):
        self.client_port, self.peer_port = free_port(), free_port()
        self.data_dir = os.path.join(tmp, "etcd-data")
        self.log = open(os.path.join(tmp, "etcd.log"), "a")
        self.process = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.client_port}"

    def start(self):
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.process = subprocess.Popen(
            ["etcd", "--name", "soak", "--data-dir", self.data_dir,
             "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"soak={peer}", "--initial-cluster-state", "new"],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: self.ctl("endpoint", "health").returncode == 0, 20):
            raise RuntimeError("etcd did not answer within 20 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def ctl(self, *args):
        return subprocess.run(["etcdctl", f"--endpoints={self.endpoint}", *args],
                              capture_output=True, text=True, timeout=10,
                              env=dict(os.environ, ETCDCTL_API="3"))


class Instance:
    def __init__(self, tmp, index, etcd, upstreams):
        self.name = "abc"[index]
        self.proxy_port, self.admin_port = free_port(), free_port()
        self.config = os.path.join(tmp, f"instance-{self.name}.toml")
        self.log_path = os.path.join(tmp, f"instance-{self.name}.log")
        with open(self.config, "w") as f:
            f.write(f"""[proxy]
listen = "127.0.0.1:{self.proxy_port}"
access_log = ""

[admin]
listen = "127.0.0.1:{self.admin_port}"

[cluster]
etcd = ["{etcd.endpoint}"]
prefix = "{PREFIX}"
timeout_ms = 1000
cache = "{os.path.join(tmp, f'cache-{self.name}.json')}"

# seeds etcd when this instance is the first to start; ignored otherwise
[services.app]
route = "/"
upstreams = [{", ".join(f'"{u}"' for u in upstreams)}]

[services.churn]
route = "/churn"
upstreams = ["{upstreams[0]}"]
""")
        self.process = None

    def start(self, binary):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "-c", self.config], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        if not wait_for(lambda: admin_call(self.admin_port, "GET", "/healthz")[0] == 200, 10):
            raise RuntimeError(f"instance {self.name} did not start: {self.read_log()[-2000:]}")

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def churn_upstreams(self):
        """The upstream addresses of `churn` this instance serves, or None."""
        status, text = admin_call(self.admin_port, "GET", "/services/churn")
        if status != 200:
            return None
        return {u["address"] for u in json.loads(text)["upstreams"]}

    def services(self):
        """GET /config from the first [services. section on: what must agree."""
        status, text = admin_call(self.admin_port, "GET", "/config")
        return text[text.find("[services."):] if status == 200 else None

    def cluster(self):
        status, text = admin_call(self.admin_port, "GET", "/cluster")
        return json.loads(text) if status == 200 else {}


class ClusterSoak:
    def __init__(self, args):
        self.binary = args["binary"]
        self.duration = args["duration"]
        self.connections = args["connections"]
        self.out = args["out"]
        self.keep = args["keep"]
        self.tmp = tempfile.mkdtemp(prefix="switchboard-soak-cluster-")
        self.processes = []
        self.stop = threading.Event()
        self.etcd = Etcd(self.tmp)
        self.changes = Counter()        # "POST 201", "DELETE 503", ...
        self.unexpected = Counter()     # answers no change should get
        self.delays_ms = []             # asked of one instance -> served by the two others
        self.slow = []                  # changes not seen by the others within 5 s
        self.restarts = []              # (stopped, answering again) times
        self.model = {}                 # address -> present, after every settled change
        self.uncertain = set()          # last change of the address answered 503 / no answer
        self.rss = {}

    def start_upstream(self, name):
        port = free_port()
        process = subprocess.Popen([sys.executable, soak.__file__, soak.UPSTREAM, str(port), name],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        if not wait_for(lambda: soak.Soak.port_open(port), 5):
            raise RuntimeError(f"upstream {name} did not start")
        return f"127.0.0.1:{port}"

    def start(self):
        upstreams = [self.start_upstream(name) for name in ("stable-a", "stable-b")]
        self.etcd.start()
        self.instances = [Instance(self.tmp, i, self.etcd, upstreams) for i in range(3)]
        for instance in self.instances:  # a seeds etcd; b and c ignore their files
            instance.start(self.binary)
            self.processes.append(instance.process)
        self.model = {a: False for a in CHURN_ADDRESSES}
        if not wait_for(lambda: all(i.churn_upstreams() is not None for i in self.instances), 10):
            raise RuntimeError("the instances did not all read the services from etcd")

    # -- the changes, every 100 ms through a random instance --
    def churn(self):
        while not self.stop.is_set():
            started = time.time()
            instance = random.choice(self.instances)
            address = random.choice(CHURN_ADDRESSES)
            adding = not self.model[address]
            if adding:
                method, path = "POST", "/services/churn/upstreams"
                body = json.dumps({"address": address, "admin_state": "maint"})
            else:
                method, path, body = "DELETE", f"/services/churn/upstreams/{address}", None
            status, text = admin_call(instance.admin_port, method, path, body)
            self.changes[f"{method} {status}"] += 1
            if status in (200, 201) or (status == 404 and not adding):
                self.model[address] = adding
                self.uncertain.discard(address)
                if status != 404:
                    self.measure(instance, address, adding, started)
            elif status in (503, 0):
                self.uncertain.add(address)  # etcd may have taken it without answering
            elif status != 409:  # 409: another instance's change not yet seen here; retry
                self.unexpected[f"{method} {status} {text[:160]}"] += 1
            self.stop.wait(max(0.0, 0.1 - (time.time() - started)))

    def measure(self, changed, address, present, asked):
        others = [i for i in self.instances if i is not changed]
        seen = wait_for(lambda: all((address in (i.churn_upstreams() or ())) == present
                                    for i in others), 5)
        if seen:
            self.delays_ms.append((time.time() - asked) * 1000)
        else:
            self.slow.append(address)

    def restart_etcd(self):
        while not self.stop.wait(20.0):
            stopped = time.time()
            self.etcd.stop()
            self.stop.wait(1.0)
            self.etcd.start()
            self.restarts.append((stopped, time.time()))

    def sample_rss(self):
        while not self.stop.is_set():
            for instance in self.instances:
                self.rss.setdefault(instance.name, []).append(rss_kib(instance.process.pid))
            self.stop.wait(1.0)

    # -- the run --
    def run(self):
        self.start()
        script = os.path.join(self.tmp, "soak.lua")
        with open(script, "w") as f:
            f.write(soak.WRK_SCRIPT)
        per_instance = max(1, self.connections // 3)
        started = time.time()
        wrks = [subprocess.Popen(["wrk", "-t1", f"-c{per_instance}", f"-d{self.duration}s",
                                  "--timeout", "10s", "--latency", "-s", script,
                                  f"http://127.0.0.1:{i.proxy_port}/"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for i in self.instances]
        self.processes += wrks
        workers = [threading.Thread(target=t, daemon=True)
                   for t in (self.churn, self.restart_etcd, self.sample_rss)]
        for worker in workers:
            worker.start()
        outputs = [wrk.communicate()[0] for wrk in wrks]
        self.stop.set()
        for worker in workers:
            worker.join(30)
        elapsed = time.time() - started
        # The end: the three agree with each other, with etcd and with every settled change.
        agreed = wait_for(lambda: len({i.services() for i in self.instances}) == 1 and
                          all(i.cluster().get("connected") for i in self.instances), 15)
        served = [i.churn_upstreams() or set() for i in self.instances]
        stored = self.etcd.ctl("get", PREFIX + "services/churn", "--print-value-only")
        in_etcd = {u["address"] if isinstance(u, dict) else u
                   for u in json.loads(stored.stdout or "{}").get("upstreams", [])}
        settled = [a for a in CHURN_ADDRESSES if a not in self.uncertain]
        missing = [(i.name, a) for i, s in zip(self.instances, served) for a in settled
                   if (a in s) != self.model[a]]
        missing += [("etcd", a) for a in settled if (a in in_etcd) != self.model[a]]
        revisions = [i.cluster().get("revision") for i in self.instances]
        alive = [i.process.poll() is None for i in self.instances]
        rss_end = [rss_kib(i.process.pid) for i in self.instances]
        exits = []
        for instance in self.instances:
            instance.process.send_signal(signal.SIGTERM)
            try:
                exits.append(instance.process.wait(20))
            except subprocess.TimeoutExpired:
                exits.append("did not stop in 20 s")
        self.report(outputs, elapsed, agreed, missing, revisions, alive, rss_end, exits)

    def report(self, outputs, elapsed, agreed, missing, revisions, alive, rss_end, exits):
        requests = non2xx = socket_errors = 0
        statuses = Counter()
        latencies = []
        for output in outputs:
            for line in output.splitlines():
                fields = line.split("\t")
                if fields[0] == "NON2XX" and len(fields) >= 5:
                    statuses[f"{fields[2]} {fields[4]}"] += int(fields[1])
                elif fields[0] == "SUMMARY":
                    summary = [int(float(x)) for x in fields[1:]]
                    requests += summary[0]
                    non2xx += summary[5]
                    socket_errors += sum(summary[2:5]) + summary[6]
                elif fields[0] == "LATENCY":
                    latencies.append(int(float(fields[2])))
        acknowledged = sum(v for k, v in self.changes.items() if k.split()[1] in ("200", "201"))
        out = []
        say = out.append
        say(f"# switchboard cluster soak: {self.duration} s, 3 instances on one etcd, "
            f"{self.connections} connections ({time.strftime('%Y-%m-%d %H:%M')})")
        say("")
        say(f"- requests served through the three: {requests} ({requests / elapsed:.0f} req/s); "
            f"p99 of the slowest instance {max(latencies or [0]) / 1000:.2f} ms")
        say(f"- non-2xx answers: {non2xx}; socket errors: {socket_errors}")
        for key, count in statuses.most_common():
            say(f"  - {count} x `{key}`")
        say(f"- admin changes every 100 ms through a random instance: "
            f"{sum(self.changes.values())}, acknowledged {acknowledged}; by answer: " +
            ", ".join(f"{k}: {v}" for k, v in sorted(self.changes.items())))
        for key, count in self.unexpected.most_common():
            say(f"  - unexpected: {count} x {key}")
        say(f"- propagation (asked of one instance -> served by the two others), "
            f"{len(self.delays_ms)} changes: p50 {percentile(self.delays_ms, 0.5):.1f} ms, "
            f"p99 {percentile(self.delays_ms, 0.99):.1f} ms, "
            f"max {max(self.delays_ms or [-1]):.1f} ms; not seen within 5 s: {len(self.slow)}")
        say(f"- etcd restarts (SIGTERM, 1 s down, started again): {len(self.restarts)}; "
            f"down for {', '.join(f'{e - s:.1f}' for s, e in self.restarts)} s")
        say(f"- at the end: the three agree (services and connected) within 15 s: "
            f"{'yes' if agreed else 'NO'}; revisions {', '.join(map(str, revisions))}")
        say(f"- every acknowledged change on all three and in etcd: "
            f"{'yes' if not missing else 'NO: ' + str(missing[:10])} "
            f"({len(self.uncertain)} addresses whose last change answered 503 left out)")
        for instance, end, exit_status, up in zip(self.instances, rss_end, exits, alive):
            samples = [kib for kib in self.rss.get(instance.name, []) if kib > 0]
            log = instance.read_log()
            levels = Counter(m.group(1) for m in re.finditer(r"switchboard\[\d+\]: (\w+):", log))
            say(f"- instance {instance.name}: RSS {samples[0] / 1024 if samples else -1:.1f} MiB "
                f"at start, {end / 1024:.1f} MiB at end; alive {'yes' if up else 'NO'}; exit "
                f"after SIGTERM: {exit_status}; log: " +
                ", ".join(f"{k} {v}" for k, v in sorted(levels.items())) +
                f"; 'lost etcd' {log.count('cluster: lost etcd')}, "
                f"'reconnected' {log.count('reconnected to etcd')}")
        say(f"- wall time: {elapsed:.0f} s")
        soak.write_report(out, self.out)
        self.passed = (all(alive) and all(e == 0 for e in exits) and non2xx == 0 and
                       socket_errors == 0 and agreed and not missing and not self.unexpected
                       and not self.slow)

    def cleanup(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.etcd.stop()
        if self.keep:
            print(f"soak: kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(soak.run_main(ClusterSoak))
