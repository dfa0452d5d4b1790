"""Production behind a real HTTPS reverse proxy: Debian's nginx, on loopback, in front of
``ever6 web serve`` with the production settings.

nginx terminates TLS with a certificate made here, forwards from 127.0.0.2 (the trusted proxy
address) to waitress on 127.0.0.1, and redirects plain HTTP to HTTPS. A user signs in through it;
HSTS and the Content-Security-Policy come back, nothing loops, and a client that goes round the
proxy cannot claim HTTPS or another address. ``make test`` installs nginx (Makefile ``nginx``).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

pytestmark = pytest.mark.slow

PASSWORD = "a long proxy test password 7"
PROXY_ADDRESS = "127.0.0.2"  # nginx connects to the service from here; the browser comes from 127.0.0.1
NGINX_CONF = """
worker_processes 1;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 6m;
  server {{
    listen 127.0.0.1:{http_port};
    return 301 https://$host:{https_port}$request_uri;
  }}
  {https_servers}
}}
"""
HTTPS_SERVER = """
  server {{
    listen 127.0.0.1:{https_port} ssl;
    ssl_certificate {tmp}/cert.pem;
    ssl_certificate_key {tmp}/key.pem;
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_bind {proxy_address};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
"""
# Two services on the same workspace: the production default (the service redirects plain HTTP to
# HTTPS too) and EVER6_SSL_REDIRECT=0 (the proxy alone does), each behind its own HTTPS port.
SSL_REDIRECTS = ("1", "0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} stopped: {log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not start listening on port {port}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Deployment:
    tmp: Path
    home: Path
    app_ports: dict[str, int]  # by EVER6_SSL_REDIRECT
    http_port: int
    https_ports: dict[str, int]
    tls: ssl.SSLContext

    @property
    def app_port(self) -> int:
        return self.app_ports["1"]

    def origin(self, ssl_redirect: str = "1") -> str:
        return f"https://localhost:{self.https_ports[ssl_redirect]}"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str


@dataclass
class Browser:
    """Just enough of a browser: cookies, and the Origin and Referer headers Django's CSRF check reads."""

    deployment: Deployment
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookie_lines: list[str] = field(default_factory=list)

    def request(self, method: str, url: str, form: dict[str, str] | None = None, referer: str = "") -> Response:
        parts = urlsplit(url)
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "localhost", parts.port, context=self.deployment.tls, timeout=30
            )
        else:
            conn = http.client.HTTPConnection("localhost", parts.port, timeout=30)
        headers = {"Host": parts.netloc, "User-Agent": "ever6-proxy-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
        if referer:
            headers["Referer"] = referer
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers)
        raw = conn.getresponse()
        response = Response(raw.status, raw.headers, raw.read().decode(errors="replace"))
        conn.close()
        for line in raw.headers.get_all("Set-Cookie") or []:
            self.set_cookie_lines.append(line)
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return response

    def follow(self, url: str, limit: int = 10) -> tuple[Response, list[str]]:
        """GET ``url`` and its redirects; the URLs visited, to see a loop."""
        visited = [url]
        response = self.request("GET", url)
        while response.status in (301, 302, 303, 307, 308):
            location = response.headers["Location"]
            if location.startswith("/"):
                parts = urlsplit(visited[-1])
                location = f"{parts.scheme}://{parts.netloc}{location}"
            visited.append(location)
            assert len(visited) <= limit, f"redirect loop: {visited}"
            response = self.request("GET", location)
        return response, visited


def _service_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVER6_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        EVER6_HOME=str(home),
        DJANGO_SETTINGS_MODULE="ever6.web.settings_production",
        EVER6_SECRET_KEY=secrets.token_urlsafe(60),
        EVER6_ALLOWED_HOSTS="localhost",
        EVER6_TRUSTED_PROXY=PROXY_ADDRESS,
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (`make test` installs it: apt-get install nginx)")
    tmp = tmp_path_factory.mktemp("proxy")
    home = tmp / "home"
    home.mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    env = _service_env(home)
    cli = [sys.executable, "-m", "ever6.cli", "web"]
    made = subprocess.run(
        [*cli, "create-user", "auditor1", "--role", "auditor"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert made.returncode == 0, made.stderr
    http_port = _free_port()
    app_ports = {flag: _free_port() for flag in SSL_REDIRECTS}
    https_ports = {flag: _free_port() for flag in SSL_REDIRECTS}
    services = {}
    for flag in SSL_REDIRECTS:
        with (tmp / f"service-{flag}.log").open("wb") as log:
            services[flag] = subprocess.Popen(
                [*cli, "serve", "--host", "127.0.0.1", "--port", str(app_ports[flag]), "--threads", "2"],
                env={**env, "EVER6_SSL_REDIRECT": flag},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=tmp,
            # Run as root (as CI does), nginx's workers would otherwise become "nobody", who cannot
            # use this root-owned temporary folder.
            user="user root;" if os.geteuid() == 0 else "",
            http_port=http_port,
            https_port=https_ports["1"],
            https_servers="".join(
                HTTPS_SERVER.format(
                    tmp=tmp, https_port=https_ports[flag], app_port=app_ports[flag], proxy_address=PROXY_ADDRESS
                )
                for flag in SSL_REDIRECTS
            ),
        )
    )
    proxy = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        for flag in SSL_REDIRECTS:
            _wait_for_port(app_ports[flag], services[flag], "ever6 web serve", tmp / f"service-{flag}.log")
            _wait_for_port(https_ports[flag], proxy, "nginx", tmp / "error.log")
        tls = ssl.create_default_context(cafile=str(tmp / "cert.pem"))
        yield Deployment(tmp, home, app_ports, http_port, https_ports, tls)
    finally:
        _stop(proxy)
        for service in services.values():
            _stop(service)


def _assert_hardened(response: Response) -> None:
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts, dict(response.headers)
    csp = response.headers.get("Content-Security-Policy", "")
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src is not None, csp
    assert "'unsafe-inline'" not in script_src.group(1)
    assert "default-src 'none'" in csp


@pytest.mark.parametrize("ssl_redirect", SSL_REDIRECTS)
def test_a_user_signs_in_over_https_through_the_proxy(deployment: Deployment, ssl_redirect: str) -> None:
    browser = Browser(deployment)
    origin = deployment.origin(ssl_redirect)
    if ssl_redirect == "1":
        # Plain HTTP is sent to HTTPS by the proxy; the service then asks for a sign-in: no loop.
        page, visited = browser.follow(f"http://localhost:{deployment.http_port}/")
        assert visited[1].startswith(origin), visited
    else:
        page, visited = browser.follow(f"{origin}/")
    assert "/accounts/sign-in/" in visited[-1], visited
    assert page.status == 200, page.body[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None
    signed_in = browser.request(
        "POST",
        visited[-1],
        {"csrfmiddlewaretoken": token.group(1), "username": "auditor1", "password": PASSWORD},
        referer=visited[-1],
    )
    assert signed_in.status == 302, signed_in.body[:2000]  # not "Origin checking failed"
    home, visited = browser.follow(origin + signed_in.headers["Location"])
    assert home.status == 200, visited
    assert visited[-1] == f"{origin}/audit/"
    assert "Sign out" in home.body
    for response in (page, signed_in, home):
        _assert_hardened(response)
    # The session and CSRF cookies are sent over HTTPS only.
    session_cookie = [line for line in browser.set_cookie_lines if line.startswith("sessionid=")]
    assert session_cookie
    assert all("Secure" in line for line in session_cookie)


def test_the_service_believes_forwarded_headers_from_the_proxy_only(deployment: Deployment) -> None:
    # Straight to waitress from 127.0.0.1, not the proxy's address: the claim of HTTPS is dropped,
    # so production settings send the request to HTTPS.
    conn = http.client.HTTPConnection("127.0.0.1", deployment.app_port, timeout=30)
    forged = {"Host": "localhost", "X-Forwarded-Proto": "https", "X-Forwarded-For": "9.9.9.9"}
    conn.request("GET", "/accounts/sign-in/", headers=forged)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 301
    assert response.headers["Location"] == "https://localhost/accounts/sign-in/"
    # Through the proxy, the address recorded for a failed sign-in is the client's, not the proxy's.
    browser = Browser(deployment)
    page, visited = browser.follow(f"{deployment.origin()}/accounts/sign-in/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None
    failed = browser.request(
        "POST",
        visited[-1],
        {"csrfmiddlewaretoken": token.group(1), "username": "nobody-here", "password": "wrong password"},
        referer=visited[-1],
    )
    assert failed.status == 200
    with sqlite3.connect(deployment.home / "web.sqlite3") as db:
        addresses = {row[0] for row in db.execute("SELECT ip_address FROM axes_accessattempt")}
    assert addresses == {"127.0.0.1"}


def test_large_bodies_are_refused_before_they_are_read(deployment: Deployment) -> None:
    # A body larger than any view takes (twice the default 512 MB import upload, with the form's
    # margin: ``bodylimit.largest_body``), announced to waitress, is refused on its headers alone.
    announced = 2 * 512 * 1024 * 1024 + 1024 * 1024
    with socket.create_connection(("127.0.0.1", deployment.app_port), timeout=10) as s:
        s.sendall(
            b"POST /accounts/sign-in/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {announced}\r\n\r\n".encode()
        )
        reply = s.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    # Through the proxy, an anonymous caller's 200 kB form is refused before it is parsed.
    browser = Browser(deployment)
    page, visited = browser.follow(f"{deployment.origin()}/accounts/sign-in/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None
    big = browser.request(
        "POST",
        visited[-1],
        {"csrfmiddlewaretoken": token.group(1), "username": "x" * 200_000, "password": "y"},
        referer=visited[-1],
    )
    assert big.status == 413
