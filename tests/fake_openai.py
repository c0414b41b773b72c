"""A loopback HTTP server speaking the OpenAI API's wire protocol, for tests (no paid service).

Embeddings are deterministic bags of hashed words, so similar texts get similar vectors.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
from contextlib import contextmanager
from typing import Iterator

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
        self.reply = ""

    def handle(self, path: str, body: dict) -> tuple[int, dict]:
        self.requests.append({"path": path, "body": body})
        if path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t)} for i, t in enumerate(inputs)]
            tokens = sum(len(t.split()) for t in inputs)
            return 200, {"object": "list", "data": data, "model": body.get("model", ""),
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
        if path.endswith("/chat/completions"):
            text = self.reply or "- Diagnosis: add the PromQL that confirms the cause."
            return 200, {
                "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 0,
                "model": body.get("model", ""),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        return 404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            status, payload = fake.handle(self.path, json.loads(self.rfile.read(length) or b"{}"))
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
