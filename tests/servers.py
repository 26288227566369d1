"""Start real server processes on free loopback ports for tests, and stop them afterwards."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def process(cmd: list[str], ready_url: str, log: Path):
    # The checkout itself is importable in the child, installed or not (the test server imports rag).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        wait_http(ready_url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def ollama_server(tmp: Path, delay: float = 0.0):
    """Our Ollama-protocol server (tests/ollama_server.py) with llama.cpp behind it."""
    port = free_port()
    reqlog = tmp / f"ollama-requests-{port}.jsonl"
    cmd = [sys.executable, str(ROOT / "tests" / "ollama_server.py"), "--port", str(port), "--log", str(reqlog),
           "--delay", str(delay)]
    with process(cmd, f"http://127.0.0.1:{port}/api/version", tmp / f"ollama-{port}.log"):
        yield f"http://127.0.0.1:{port}", reqlog


@contextmanager
def chroma_server(tmp: Path, port: int | None = None):
    """`chroma run` from the chromadb package, persisting under tmp (the same port and tmp: the same data)."""
    port = port or free_port()
    # the chroma command of this interpreter's environment: a virtual environment need not be on PATH
    chroma = Path(sys.executable).parent / "chroma"
    cmd = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp / f"chroma-{port}")]
    with process(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp / f"chroma-{port}.log"):
        yield port


@contextmanager
def gradio_app(qa, host: str = "127.0.0.1"):
    """The real web UI (rag/ui.py, what app.py starts) over `qa`, served on a free port (`host`: the address it
    binds; it is reached on the loopback)."""
    from rag.apps import ui
    port = free_port()
    demo = ui.serve(qa, host, port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def queue_call(url: str, elem_id: str, data: list, timeout: float = 300.0) -> dict:
    """Call the event whose inputs include the component `elem_id` through Gradio's raw queue protocol (what
    a script can do even for events hidden from the API listing); return the final message."""
    import json
    import uuid
    base = url.rstrip("/")
    cfg = json.load(urllib.request.urlopen(f"{base}/config", timeout=30))
    comp = next(c["id"] for c in cfg["components"] if c.get("props", {}).get("elem_id") == elem_id)
    fn = next(i for i, d in enumerate(cfg["dependencies"]) if comp in d["inputs"] and d["targets"])
    session = uuid.uuid4().hex[:12]
    body = {"data": data, "event_data": None, "fn_index": fn, "trigger_id": cfg["dependencies"][fn]["targets"][0][0],
            "session_hash": session}
    req = urllib.request.Request(f"{base}/gradio_api/queue/join", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
    with urllib.request.urlopen(f"{base}/gradio_api/queue/data?session_hash={session}", timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return msg
    raise RuntimeError("the queue closed before the event completed")
