"""What a front end meets, in a real browser: CORS for a page on another origin, and GraphiQL.

The browser is headless Chromium from the system packages (``apt-get install chromium``; CI installs
it), driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: no websocket client,
nothing downloaded). The API is a real ``uvicorn`` on SQLite; the "front end" is a page served by a
second server, on another port and so another origin. Chromium resolves no host name
(``--host-resolver-rules``), so a page that needed a CDN would fail to load.

The checks of the headers, the setting and the files run on the ASGI app alone, with no browser.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

import factories as f
from api.asgi import create_app
from api.settings import Environment, Settings
from conftest import TEST_SECRET, SqliteTemplate, token

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)"
)
BRANCHES = "{ branches { code name } }"
PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type,x-request-id"}
WAIT_SECONDS = 30
# An administrator may introspect (GraphiQL needs it); without an agreement claim, answers carry no warning.
ADMIN = token(sub="root", roles=("admin",), branch=None, nda=False)


# --- CORS and GraphiQL's files, on the ASGI app ------------------------------------------------


@contextlib.asynccontextmanager
async def _client(settings: Settings) -> Any:
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        yield client


def _settings(sqlite_server: SqliteTemplate, **overrides: Any) -> Settings:
    return Settings(database_url=sqlite_server.new_database(), secret_key=TEST_SECRET, **overrides)


async def test_without_configured_origins_the_api_sends_no_cors_headers(sqlite_server):
    async with _client(_settings(sqlite_server)) as client:
        preflight = await client.options("/graphql", headers={"Origin": "http://app.test", **PREFLIGHT})
        answer = await client.post("/graphql", json={"query": BRANCHES},
                                   headers={"Origin": "http://app.test", "Authorization": f"Bearer {ADMIN}"})
    assert preflight.status_code == 405
    assert answer.status_code == 200 and answer.json() == {"data": {"branches": []}}
    for response in (preflight, answer):
        assert not any(name.lower().startswith("access-control-") for name in response.headers)


async def test_a_listed_origin_passes_the_preflight_and_may_read_the_answer_and_its_request_id(sqlite_server):
    settings = _settings(sqlite_server, cors_origins=["http://app.test", "http://localhost:5173"])
    async with _client(settings) as client:
        preflight = await client.options("/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT})
        answer = await client.post("/graphql", json={"query": BRANCHES},
                                   headers={"Origin": "http://app.test", "Authorization": f"Bearer {ADMIN}"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "OPTIONS"}
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert answer.status_code == 200 and answer.json() == {"data": {"branches": []}}
    assert answer.headers["access-control-allow-origin"] == "http://app.test"
    assert "Origin" in answer.headers["vary"]
    assert {"x-request-id", "retry-after"} <= {
        h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    # Bearer tokens only: a page never sends the user's cookies to the API.
    assert all("access-control-allow-credentials" not in r.headers for r in (preflight, answer))


async def test_an_origin_not_listed_fails_the_preflight_and_gets_no_allow_origin(sqlite_server):
    async with _client(_settings(sqlite_server, cors_origins=["http://app.test"])) as client:
        preflight = await client.options("/graphql", headers={"Origin": "http://evil.test", **PREFLIGHT})
        answer = await client.post("/graphql", json={"query": BRANCHES},
                                   headers={"Origin": "http://evil.test", "Authorization": f"Bearer {ADMIN}"})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_star_allows_every_origin_and_still_no_credentials(sqlite_server):
    async with _client(_settings(sqlite_server, cors_origins="*")) as client:
        preflight = await client.options("/graphql", headers={"Origin": "http://any.test", **PREFLIGHT})
        answer = await client.post("/graphql", json={"query": BRANCHES},
                                   headers={"Origin": "http://any.test", "Authorization": f"Bearer {ADMIN}"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert all("access-control-allow-credentials" not in r.headers for r in (preflight, answer))


def test_cors_origins_read_from_the_environment_as_a_comma_list_or_json(monkeypatch):
    monkeypatch.setenv("CREDITCARE_CORS_ORIGINS", "https://App.example.com, http://localhost:5173")
    assert Settings().cors_origins == ["https://app.example.com", "http://localhost:5173"]
    monkeypatch.setenv("CREDITCARE_CORS_ORIGINS", '["http://127.0.0.1:3000"]')
    assert Settings().cors_origins == ["http://127.0.0.1:3000"]
    monkeypatch.delenv("CREDITCARE_CORS_ORIGINS")
    assert Settings().cors_origins == []


@pytest.mark.parametrize(("value", "says"), [
    ("https://app.example.com/", "is not an origin"),  # a trailing slash never matches
    ("app.example.com", "is not an origin"),
    ("https://*.example.com", "is not an origin"),
    ("https://app.example.com:443", "no default port"),
    ("null", "is not an origin"),
    ("*,https://app.example.com", "'*' (every origin) must stand alone"),
])
def test_a_value_no_browser_would_match_is_refused_at_startup(value, says):
    with pytest.raises(ValidationError, match="CREDITCARE_CORS_ORIGINS") as refused:
        Settings(cors_origins=value)
    assert says in str(refused.value)


async def test_graphiql_is_served_from_the_package_with_long_caching(sqlite_server):
    async with _client(_settings(sqlite_server)) as client:
        page = await client.get("/graphql")
        assets = [a.split('"')[0] for a in page.text.split('src="')[1:] + page.text.split('href="')[1:]]
        served = {asset: await client.get("/" + asset) for asset in assets if not asset.startswith("data:")}
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    # Relative URLs, each naming its content (?v=): nothing from another origin.
    assert len(served) == 5 and all(asset.startswith("graphiql/static/") and "?v=" in asset for asset in served)
    for asset, response in served.items():
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(response.content) > 1_000
    assert any("graphiql-3.9.0.min.js" in asset for asset in served)


async def test_graphiql_and_its_files_stay_off_in_production(sqlite_server):
    settings = _settings(sqlite_server, env=Environment.PRODUCTION)
    async with _client(settings) as client:
        assert (await client.get("/graphql")).status_code == 405
        assert (await client.get("/graphiql/static/graphiql-3.9.0.min.js")).status_code == 404


def test_every_vendored_file_is_in_the_licence_notice_and_in_the_package_data():
    directory = ROOT / "api" / "asgi" / "static" / "graphiql"
    notice = (directory / "LICENSES.md").read_text()
    vendored = {p.name for p in directory.iterdir()} - {"LICENSES.md", "creditcare-graphiql.js"}
    assert vendored == {"graphiql-3.9.0.min.js", "graphiql-3.9.0.min.css", "react-18.3.1.production.min.js",
                        "react-dom-18.3.1.production.min.js"}
    for name in vendored:
        assert f"`{name}`" in notice and hashlib.sha256((directory / name).read_bytes()).hexdigest() in notice
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api.asgi"]
    for path in directory.iterdir():
        assert any(fnmatch(str(path.relative_to(directory.parent.parent)), p) for p in shipped), path


# --- a real server and a real browser --------------------------------------------------------------


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class _FrontEnd:
    """A static server for one origin, serving the page of a browser app that calls the API."""

    def __init__(self, api: str, bearer: str) -> None:
        page = _FRONT_END_PAGE.replace("API_URL", api + "/graphql").replace("BEARER", bearer).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_FRONT_END_PAGE = """<!doctype html><meta charset="utf-8"><title>a front end</title><pre id="result">pending</pre>
<script>
fetch("API_URL", {
  method: "POST",
  headers: {"Authorization": "Bearer BEARER", "Content-Type": "application/json"},
  body: JSON.stringify({query: "{ branches { code name } }"}),
}).then(function (response) {
  return response.json().then(function (body) {
    return {status: response.status, requestId: response.headers.get("X-Request-ID"), body: body};
  });
}).then(function (outcome) {
  document.getElementById("result").textContent = JSON.stringify(outcome);
}, function (error) {
  document.getElementById("result").textContent = "failed: " + error;
});
</script>
"""


class Server:
    """``uvicorn`` serving the app on a given listening socket, on a migrated SQLite database."""

    def __init__(self, sock: socket.socket, database_url: str, cors_origins: list[str], log: Path) -> None:
        self.socket = sock
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.log = log
        env = {**os.environ, "CREDITCARE_DATABASE_URL": database_url, "CREDITCARE_SECRET_KEY": TEST_SECRET,
               "CREDITCARE_ENV": "development", "CREDITCARE_CORS_ORIGINS": ",".join(cors_origins)}
        fd = self.socket.fileno()
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "api.asgi:create_app", "--fd", str(fd),
                 "--log-level", "warning"],
                cwd=ROOT, env=env, pass_fds=(fd,), stdout=output, stderr=subprocess.STDOUT,
            )
        try:
            # Generous: starting takes a few seconds, many more on a machine busy with other tests.
            deadline = time.monotonic() + 120
            while True:
                assert self.process.poll() is None, f"uvicorn exited: {log.read_text()[-2000:]}"
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, f"uvicorn did not become ready: {log.read_text()[-2000:]}"
                time.sleep(0.2)
        except BaseException:
            self.close()
            raise

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                              headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.socket.close()


class Browser:
    """Headless Chromium, driven over the DevTools protocol on a pipe (NUL-separated JSON)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-default-browser-check", "--disable-dev-shm-usage", "--mute-audio",
            # The network is "otherwise unavailable": nothing resolves but the servers' 127.0.0.1.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--user-data-dir={profile}",
            "--remote-debugging-pipe", "about:blank",
        ]
        # The protocol is spoken on the browser's descriptors 3 (commands) and 4 (replies); bash
        # moves the pipes there (dash takes one-digit descriptors only).
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', CHROMIUM, *flags],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._next_id = 0
        self._replies_by_id: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        # Starting takes a second or two, much longer on a machine busy with other tests.
        self._call("Browser.getVersion", None, {}, timeout=120)

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._replies, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self.arrived:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies_by_id[message["id"]] = message
                    else:
                        self.events.append(message)
                self.arrived.notify_all()

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """The result of a command to the browser (no session) or to a tab (its session)."""
        return self._call(method, session, params, WAIT_SECONDS)

    def _call(self, method: str, session: str | None, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self.arrived:
            self._next_id += 1
            number = self._next_id
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        with self.arrived:
            assert self.arrived.wait_for(lambda: number in self._replies_by_id, timeout), f"no reply to {method}"
            reply = self._replies_by_id.pop(number)
        assert "error" not in reply, (method, reply["error"])
        result: dict[str, Any] = reply["result"]
        return result

    @contextlib.contextmanager
    def page(self) -> Iterator[Page]:
        """A tab in a fresh browser context: a profile of its own (empty localStorage)."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable", session)
        try:
            yield Page(self, session)
        finally:
            self.send("Target.closeTarget", targetId=target)
            self.send("Target.disposeBrowserContext", browserContextId=context)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._commands)  # the browser exits when its command pipe closes
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Page:
    """One tab: navigate, evaluate, type, and the events it produced."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def go(self, url: str) -> None:
        self._loading(lambda: self.browser.send("Page.navigate", self.session, url=url))

    def reload(self) -> None:
        self._loading(lambda: self.browser.send("Page.reload", self.session))

    def _loading(self, start: Callable[[], object]) -> None:
        """Start a navigation and wait for its page's load event (its scripts have run)."""
        loaded = len(self.events("Page.loadEventFired"))
        start()
        with self.browser.arrived:
            assert self.browser.arrived.wait_for(
                lambda: len(self.events("Page.loadEventFired")) > loaded, WAIT_SECONDS), "the page did not load"

    def js(self, expression: str) -> Any:
        result = self.browser.send("Runtime.evaluate", self.session, expression=expression, awaitPromise=True,
                                   returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """The value of ``expression`` once truthy (evaluated every 100 ms)."""
        deadline = time.monotonic() + WAIT_SECONDS
        # An element not there yet reads as not yet, not as an error.
        guarded = f"(() => {{ try {{ return {expression}; }} catch (error) {{ return null; }} }})()"
        while not (value := self.js(guarded)):
            assert time.monotonic() < deadline, f"timed out waiting for {what}; page: {self.js(_VISIBLE_TEXT)!r}"
            time.sleep(0.1)
        return value

    def type(self, text: str) -> None:
        """Text typed into the focused element, as a keyboard (an input method) would."""
        self.browser.send("Input.insertText", self.session, text=text)

    def events(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.browser.events if e.get("sessionId") == self.session
                and e["method"] == method]


_VISIBLE_TEXT = "document.body ? document.body.innerText.slice(0, 500) : ''"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def live(sqlite_server: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The API on uvicorn with one branch, allowing the origin of one front end and not another's."""
    api_socket = _listening_socket()  # first: the front ends' page needs the API's address
    api = f"http://127.0.0.1:{api_socket.getsockname()[1]}"
    allowed, other = _FrontEnd(api, ADMIN), _FrontEnd(api, ADMIN)
    try:
        log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
        server = Server(api_socket, sqlite_server.new_database(), [allowed.origin], log)
        try:
            server.graphql(f.CREATE_BRANCH, {"input": {"code": "HZ01", "name": "Hangzhou"}})
            yield {"api": api, "allowed": allowed, "other": other}
        finally:
            server.close()
    finally:
        allowed.close()
        other.close()


def _result_of(page: Page) -> str:
    text: str = page.wait_for(
        "(() => { const t = document.getElementById('result').textContent; return t !== 'pending' && t; })()",
        "the page's fetch to finish")
    return text


@needs_chromium
def test_a_page_on_an_allowed_origin_queries_the_api_through_cors(browser, live):
    with browser.page() as page:
        page.go(live["allowed"].origin + "/")
        outcome = json.loads(_result_of(page))
    assert outcome["status"] == 200
    assert outcome["body"] == {"data": {"branches": [{"code": "HZ01", "name": "Hangzhou"}]}}
    assert outcome["requestId"]  # exposed to the page (Access-Control-Expose-Headers)


@needs_chromium
def test_a_page_on_an_origin_not_allowed_cannot_read_the_api(browser, live):
    with browser.page() as page:
        page.go(live["other"].origin + "/")
        outcome = _result_of(page)
        refused = [e for e in page.events("Network.loadingFailed") if e.get("corsErrorStatus")]
    assert outcome == "failed: TypeError: Failed to fetch"
    assert refused and refused[0]["corsErrorStatus"]["corsError"] in {"PreflightMissingAllowOriginHeader",
                                                                      "PreflightInvalidStatus"}


# GraphiQL's parts, found as a user sees them.
_HEADERS_EDITOR = "document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror')"
_QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
_DOCS = "document.querySelector('.graphiql-doc-explorer')"
_SCHEMA_ERROR = "Error fetching schema"


def _open_docs(page: Page) -> None:
    page.wait_for("!!document.querySelector('.graphiql-sidebar button')", "GraphiQL's sidebar")
    page.js(f"void ({_DOCS} || document.querySelector('.graphiql-sidebar button[aria-label=\"Show Documentation "
            "Explorer\"]').click())")


def _schema_state(page: Page) -> str:
    """'loaded' (the root types are listed), 'error' (GraphiQL could not fetch it) or ''."""
    state: str = page.wait_for(
        f"(() => {{ const d = {_DOCS}; if (!d) return ''; const t = d.innerText;"
        f" return t.includes('{_SCHEMA_ERROR}') ? 'error' : t.includes('Root Types') ? 'loaded' : ''; }})()",
        "the schema in the documentation explorer")
    return state


def _type_into(page: Page, editor: str, text: str) -> None:
    page.wait_for(f"!!{editor}", f"the editor {editor}")
    page.js(f"(() => {{ const cm = {editor}.CodeMirror; cm.focus(); cm.execCommand('selectAll'); }})()")
    page.type(text)


@needs_chromium
def test_graphiql_works_offline_and_sends_the_token_with_every_request_the_first_introspection_too(
        browser, live):
    api = live["api"]
    with browser.page() as page:
        # First visit: no token yet, so the schema cannot be fetched (the service answers 401).
        page.go(api + "/graphql")
        _open_docs(page)
        assert _schema_state(page) == "error"
        # The developer pastes a token into the headers editor: the schema loads, no re-fetch needed.
        _type_into(page, _HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {ADMIN}"}))
        page.wait_for(f"{_DOCS}.innerText.includes('Root Types')", "the schema after the token was typed")
        # A query runs and its result shows.
        _type_into(page, _QUERY_EDITOR, BRANCHES)
        page.js("document.querySelector('.graphiql-execute-button').click()")
        result = page.wait_for(
            "(() => { const r = document.querySelector('.result-window .CodeMirror');"
            " return r && r.CodeMirror.getValue().includes('Hangzhou') && r.CodeMirror.getValue(); })()",
            "the query's result")
        assert json.loads(result) == {"data": {"branches": [{"code": "HZ01", "name": "Hangzhou"}]}}
        # A new tab starts with the token too.
        page.js("document.querySelector('.graphiql-tab-add').click()")
        page.wait_for("document.querySelectorAll('.graphiql-tab').length === 2", "a second tab")
        assert json.loads(page.js(f"{_HEADERS_EDITOR}.CodeMirror.getValue()")) == {"Authorization": f"Bearer {ADMIN}"}

        # Next visit: the token is in the headers from the start, the first introspection included.
        before_reload = len(page.events("Network.requestWillBeSent"))
        page.reload()
        _open_docs(page)
        assert _schema_state(page) == "loaded"
        requests = page.events("Network.requestWillBeSent")
        posts = [r for r in requests[before_reload:] if r["request"]["method"] == "POST"]
        assert posts and "IntrospectionQuery" in posts[0]["request"].get("postData", "")
        assert all(r["request"]["headers"].get("Authorization") == f"Bearer {ADMIN}" for r in posts)

        # Offline: every request went to the API's own origin (a CDN could not even be resolved).
        assert {r["request"]["url"].split("/")[2] for r in requests if r["request"]["url"].startswith("http")} == {
            api.split("/")[2]}
        statuses = [r["response"]["status"] for r in page.events("Network.responseReceived")]
        assert statuses.count(401) == 1  # the first visit's introspection, before the token
        problems = [e["entry"]["text"] for e in page.events("Log.entryAdded")
                    if e["entry"]["level"] == "error" and "401" not in e["entry"]["text"]]
        assert problems == [] and page.events("Runtime.exceptionThrown") == []
