"""A loopback HTTP server speaking the OpenAI API's wire protocol, for tests (no paid service).

- POST /v1/embeddings: deterministic bags of hashed words, so similar texts get similar vectors.
- POST /v1/chat/completions: answers from `script`, a list the test fills with turns, one popped
  per request: {"content": str}, {"tool_calls": [{"name", "arguments"}]}, {"status": int} for an
  HTTP error, {"delay": seconds} to stall before answering. With "stream": true the answer is sent
  as server-sent events, content in several deltas, as OpenAI does.
Every request body is kept in `requests` for assertions.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DIM = 64


def fake_embedding(text: str) -> list[float]:
    vector = [0.0] * DIM
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return vector


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.url = ""
        self.reply = ""  # the answer when the script is empty
        self.script: list[dict] = []

    def chat_turn(self) -> dict:
        return (
            self.script.pop(0)
            if self.script
            else {"content": self.reply or "- Diagnosis: add the PromQL that confirms the cause."}
        )

    def embeddings(self, body: dict) -> dict:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t)} for i, t in enumerate(inputs)]
        tokens = sum(len(t.split()) for t in inputs)
        return {
            "object": "list",
            "data": data,
            "model": body.get("model", ""),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _message(turn: dict) -> dict:
    if "tool_calls" in turn:
        calls = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
            for i, c in enumerate(turn["tool_calls"])
        ]
        return {"role": "assistant", "content": None, "tool_calls": calls}
    return {"role": "assistant", "content": turn["content"]}


def _completion(body: dict, turn: dict, n: int) -> dict:
    message = _message(turn)
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "finish_reason": "tool_calls" if "tool_calls" in turn else "stop", "message": message}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def _stream_events(body: dict, turn: dict, n: int) -> Iterator[dict]:
    base = {"id": f"chatcmpl-{n}", "object": "chat.completion.chunk", "created": 0, "model": body.get("model", "")}
    if "tool_calls" in turn:
        for i, call in enumerate(turn["tool_calls"]):
            delta = {
                "tool_calls": [
                    {
                        "index": i,
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
                    }
                ]
            }
            yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    else:
        words = re.split(r"(?<= )", turn["content"])
        yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        for word in words:
            yield {**base, "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield {**base, "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append({"path": self.path, "body": body})
            if self.path.endswith("/embeddings"):
                return self._json(200, fake.embeddings(body))
            if not self.path.endswith("/chat/completions"):
                return self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            turn = fake.chat_turn()
            if "delay" in turn:
                time.sleep(turn["delay"])
                turn = {"content": turn.get("content", "late answer")}
            if "status" in turn:
                return self._json(turn["status"], {"error": {"message": "injected failure", "type": "server_error"}})
            n = len(fake.requests)
            if not body.get("stream"):
                return self._json(200, _completion(body, turn, n))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in _stream_events(body, turn, n):
                self._chunk(f"data: {json.dumps(event)}\n\n".encode())
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
