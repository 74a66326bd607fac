"""kdiscourse serve: the same JSON as the CLI, request limits, malformed input, concurrency, the UI in a browser."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi", reason="the serve extra (fastapi, uvicorn, httpx) is not installed")
from fastapi.testclient import TestClient  # noqa: E402

from nlp.serve import Service, create_app  # noqa: E402

TEXT = ("미국 상무부가 대중 수출통제를 강화했다. 중국 외교부는 강하게 반발했다.\n\n"
        "한국 정부는 소버린 AI를 위해 GPU 확보에 나섰다.")


@pytest.fixture(scope="module")
def service():
    return Service(max_bytes=4096)


@pytest.fixture(scope="module")
def client(service):
    return TestClient(create_app(service))


def _cli(tmp_path: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "nlp", *args, "--format", "json"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_tag_and_compare_match_the_cli(client, tmp_path):
    (tmp_path / "doc.txt").write_text(TEXT, encoding="utf-8")
    body = {"text": TEXT, "id": "doc", "name": "doc.txt"}
    served = client.post("/tag", json=body)
    assert served.status_code == 200
    assert served.json() == _cli(tmp_path, "tag", "doc.txt")
    compared = client.post("/compare", json=body)
    assert compared.status_code == 200
    assert compared.json() == _cli(tmp_path, "compare", "doc.txt")
    assert 0.0 <= compared.json()["similarity"] <= 1.0


def test_health_config_and_ui(client, service):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["stages"] == ["tokenize", "dimensions", "actors", "frames"]
    assert client.get("/config").json() == service.pipeline.config
    page = client.get("/")
    assert page.status_code == 200 and "미중 AI 패권경쟁" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_request_limits_and_malformed_json(client):
    big = client.post("/tag", json={"text": "가" * 5000})
    assert big.status_code == 413 and "limit" in big.json()["error"]
    bad = client.post("/tag", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("request body is not JSON")
    assert "\n" not in bad.json()["error"]
    missing = client.post("/tag", json={"id": "x"})
    assert missing.status_code == 400 and "'text'" in missing.json()["error"]
    typed = client.post("/tag", json={"text": "미국.", "morphemes": "yes"})
    assert typed.status_code == 400 and "morphemes" in typed.json()["error"]
    empty = client.post("/compare", json={"text": "   "})
    assert empty.status_code == 422


def test_concurrent_requests_give_the_sequential_answers(client):
    texts = [f"{i}번째 문서: 미국과 중국이 반도체 수출통제를 두고 맞섰다. 한국은 동맹과 협의했다." for i in range(8)]
    sequential = [client.post("/tag", json={"text": t, "id": f"d{i}"}).json() for i, t in enumerate(texts)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda it: client.post("/tag", json={"text": it[1], "id": f"d{it[0]}"}).json(),
                                 enumerate(texts)))
    assert parallel == sequential


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevTools:
    """A minimal Chrome DevTools Protocol client (websockets) for one headless Chromium page."""

    def __init__(self, browser: str, profile: Path) -> None:
        from websockets.sync.client import connect

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"]
        self.proc = subprocess.Popen([browser, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(200):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        from urllib.request import urlopen

        pages = []
        for _ in range(100):
            pages = [t for t in json.load(urlopen(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"]
            if pages:
                break
            time.sleep(0.05)
        self._connection = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        self.ws = self._connection.__enter__()
        self.next_id = 0
        self.events: list[dict] = []
        for method in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(method)

    def call(self, method: str, **params):
        """Send one command and wait for its result, keeping the events that arrive meanwhile."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.next_id:
                return msg.get("result", {})
            self.events.append(msg)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(str(p.get("args")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p["entry"].get("text")))
        return out

    def close(self) -> None:
        """Close the connection and the browser."""
        self._connection.__exit__(None, None, None)
        self.proc.terminate()
        self.proc.wait(timeout=30)


def test_ui_in_headless_chromium(service, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian package chromium; .ci/run installs it)")
    pytest.importorskip("websockets", reason="the websockets package drives the browser")
    import base64
    from urllib.parse import quote

    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    tools = None
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        tools = DevTools(browser, tmp_path / "profile")
        tools.call("Page.navigate", url=f"http://127.0.0.1:{port}/?text={quote(TEXT)}")
        ready = "document.querySelectorAll('#sentences .sent').length > 0 && document.getElementById('score').textContent"
        for _ in range(600):
            if tools.evaluate(ready):
                break
            time.sleep(0.1)
        dom = tools.evaluate("document.documentElement.outerHTML")
        shown = tools.evaluate("document.getElementById('sentences').textContent")
        png = base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"])
        errors = tools.errors()
        status = tools.evaluate("document.getElementById('status').textContent")
    finally:
        if tools is not None:
            tools.close()
        server.should_exit = True
        thread.join(timeout=10)
    (tmp_path / "ui.png").write_bytes(png)
    import os

    if os.environ.get("KDISCOURSE_SCREENSHOTS"):  # keep the screenshot to look at it
        Path(os.environ["KDISCOURSE_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["KDISCOURSE_SCREENSHOTS"]) / "serve-ui.png").write_bytes(png)
    assert "는 강하게 반발했다." in shown and "소버린 AI를 위해" in shown, (status, errors)
    assert status == ""
    assert "경제안보" in dom and "규제·담론 경쟁" in dom  # chips with Korean label names
    assert 'class="m"' in dom  # actor mentions highlighted
    assert errors == []
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
