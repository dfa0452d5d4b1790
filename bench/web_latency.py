"""Dashboard response times under load: 20 signed-in users at once, against a published authority.

    python -m bench.web_latency --scale la      # after `python -m bench --scale la` has published it

Starts ``ever6 web serve`` (waitress) on the workspace's snapshot with a throwaway web database,
signs in ``--users`` Virtual School users, and has each request the dashboard pages in a loop
(bounded by ``--requests`` per user) over keep-alive connections. Prints and writes
``bench/results/web-<scale>.json``: per page and overall, p50 / p95 / p99 / max in milliseconds.
The client threads share the machine's two cores with the server, so the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from ever6.private import restrict_umask

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGES = (
    "/dashboard/",
    "/dashboard/attendance/",
    "/dashboard/attendance/?breakdown=ncyear",
    "/dashboard/exclusions/",
    "/dashboard/exclusions/?breakdown=sex&period=year",
    "/dashboard/provision/",
    "/dashboard/attainment/",
    "/dashboard/schools/",
    "/dashboard/schools/?sort=share",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Session:
    """One signed-in user on one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.conn.port}{path}"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, payload

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/sign-in/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"sign-in page: {status}")
        body = {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password}
        status, _ = self.request("POST", "/accounts/sign-in/", body)
        if status != 302:
            raise SystemExit(f"could not sign in as {username}: {status}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "requests": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def main() -> None:
    restrict_umask()  # its workspaces and results hold pupil data: owner-only files
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=45, help="requests per user (5 passes over the pages)")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--home", type=Path, help="a published workspace other than the bench cache's")
    opts = parser.parse_args()

    home = opts.home or ROOT / "bench" / "cache" / f"{opts.scale}-{opts.seed}-home"
    snapshot = home / "published" / "web.duckdb"
    if not snapshot.exists():
        raise SystemExit(f"no snapshot at {snapshot}: run `python -m bench --scale {opts.scale}` first")

    web_home = Path(tempfile.mkdtemp(prefix="ever6-web-bench-"))
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "EVER6_HOME": str(web_home),
        "EVER6_SNAPSHOT": str(snapshot),
        "EVER6_SECRET_KEY": secrets.token_urlsafe(50),
        "EVER6_LOGIN_FAILURE_LIMIT": "1000",
    }
    setup = f"""
from ever6.web.commands import setup_django
from pathlib import Path
setup_django(Path({str(web_home)!r}))
from ever6.web.accounts.models import User
for i in range({opts.users}):
    User.objects.create_user(f"bench{{i}}", "", {password!r}, role="vs_head" if i % 2 else "vs_officer")
"""
    subprocess.run([sys.executable, "-c", setup], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ever6", "web", "serve", "--port", str(port), "--threads", str(opts.threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the web server did not start") from None
                time.sleep(0.2)
        sessions = [Session(port) for _ in range(opts.users)]
        for i, session in enumerate(sessions):
            session.sign_in(f"bench{i}", password)
        # Warm-up: one pass, so the first-request costs (opening the snapshot) are not counted.
        for path in PAGES:
            status, _ = sessions[0].request("GET", path)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")

        timings: dict[str, list[float]] = {p: [] for p in PAGES}
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(opts.users)

        def user(index: int) -> None:
            session = sessions[index]
            start.wait()
            for n in range(opts.requests):
                path = PAGES[(index + n) % len(PAGES)]
                t0 = time.perf_counter()
                status, _ = session.request("GET", path)
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    if status == 200:
                        timings[path].append(elapsed)
                    else:
                        errors.append(f"{path}: {status}")

        began = time.perf_counter()
        workers = [threading.Thread(target=user, args=(i,)) for i in range(opts.users)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=600)
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)

    everything = [t for ts in timings.values() for t in ts]
    result = {
        "scale": opts.scale,
        "users": opts.users,
        "server_threads": opts.threads,
        "wall_seconds": round(wall, 2),
        "throughput_rps": round(len(everything) / wall, 1),
        "errors": errors[:20],
        "overall": summary(everything),
        "pages": {p: summary(ts) for p, ts in timings.items() if ts},
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"web-{opts.scale}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"{opts.users} users, {len(everything)} requests in {wall:.1f} s ({result['throughput_rps']} req/s)")
    print(f"{'page':48} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for path, s in result["pages"].items():
        print(f"{path:48} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['p99_ms']:8.1f} {s['max_ms']:8.1f}")
    o = result["overall"]
    print(f"{'overall':48} {o['p50_ms']:8.1f} {o['p95_ms']:8.1f} {o['p99_ms']:8.1f} {o['max_ms']:8.1f}")
    if errors:
        print(f"{len(errors)} errors, e.g. {errors[:3]}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
