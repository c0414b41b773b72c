"""The runbook index: chunks with metadata, FAISS vectors, BM25, and hybrid search over them.

On disk (one folder): `manifest.json` (embedder and dimension, each document's hash and chunk
count, skipped files, build time), `chunks.jsonl` and `vectors.faiss`, rows in chunk order.
A rebuild re-embeds only documents whose content hash changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from services.config import DATA_DIR, KnowledgeSettings
from services.knowledge.chunks import Chunk, alert_names, chunk_document
from services.knowledge.documents import KnowledgeError, Root, Skipped, scan_all
from services.knowledge.embedders import BATCH, Embedder, query_vector
from services.knowledge.intents import question_intents, section_kind
from services.knowledge.lexical import HANGUL, expand, tokens
from services.timewindow import iso, utcnow

FORMAT = 2  # 2: sections carry their heading's alert; small parents merged into children
BUNDLED_ROOTS = [DATA_DIR / "runbooks", DATA_DIR / "vendor" / "prometheus-operator-runbooks"]
CANDIDATES = 100  # per retriever, before fusion
RRF_K = 20  # rank fusion constant: small, so first places weigh clearly more
ALERT_BOOST = 1.0  # a runbook about an alert the query names goes first
MENTION_BOOST = 0.05

TOPICS = 10  # topics whose sections are ranked
# The dense ranker's fusion weight (BM25's is the share of the question's words it knows). On the
# section dev sets (benchmarks/kb.py) USE alone ranks the right section first less often than BM25
# alone; at 0.6 the mean section R@1 over both sets and languages is .81 (1.0: .79), R@5 .93 (.95).
DENSE_WEIGHT = 0.6
DECAY = 0.8  # a topic's second section scores 0.8 of its first, the third 0.64...

Progress = Callable[[int, int, str], None]
Section = tuple[str, str, str]  # root, path, heading path
Topic = tuple[str, str, tuple[str, ...]]  # root, path, the alert(s) it is about


def _section(chunk: Chunk) -> Section:
    return (chunk.root, chunk.path, chunk.section)


def _topic(chunk: Chunk) -> Topic:
    """A runbook, or the part of a page about one alert (a page with a section per alert)."""
    return (chunk.root, chunk.path, tuple(chunk.primary_alerts))


# One query at a time: FAISS's OpenMP threads only contend with numpy's on a small machine
# (measured on 2 cores: p95 of a 10k-chunk search 23.7 ms with the default threads, 4.6 ms with one).
faiss.omp_set_num_threads(1)


POINTER = "CURRENT"  # names the generation folder that holds the current index
FILES = ("manifest.json", "chunks.jsonl", "vectors.faiss")  # one generation


def _current(directory: Path) -> Path:
    """The folder with the current index files (the index folder itself before generations)."""
    pointer = directory / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return directory
    return directory / name if name.startswith("gen-") and "/" not in name else directory


def current_generation(directory: Path) -> str | None:
    """The name of the current generation folder; None before the first build."""
    current = _current(directory)
    return current.name if current != directory else None


def switch_to(directory: Path, generation: str) -> None:
    """Make `generation` (a folder in `directory`, fsynced) current atomically; keep the one before."""
    pointer = directory / f".{POINTER}.tmp"
    pointer.write_text(generation, encoding="utf-8")
    fsync_path(pointer)
    os.replace(pointer, directory / POINTER)
    fsync_path(directory)
    for old in sorted(directory.glob("gen-*"))[:-2]:  # keep the previous one for readers mid-load
        if old.name != generation:
            shutil.rmtree(old, ignore_errors=True)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def configured_roots(settings: KnowledgeSettings) -> list[Root]:
    """Bundled runbooks, then ONCALL_RUNBOOK_DIRS and ONCALL_INTERNAL_RUNBOOK_DIRS."""
    return (
        [Root(p.resolve()) for p in BUNDLED_ROOTS]
        + [Root(p) for p in settings.runbook_dirs]
        + [Root(p, internal=True) for p in settings.internal_runbook_dirs]
    )


@dataclass
class Hit:
    source: str
    title: str
    section: str
    score: float
    text: str
    root: str
    path: str
    visibility: str
    alerts: list[str]

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "score": round(self.score, 4),
            "text": self.text,
        }


@dataclass
class BuildReport:
    documents: int
    chunks: int
    embedded_documents: int
    reused_documents: int
    skipped: list[Skipped]
    seconds: float
    removed_documents: int = 0


@dataclass
class KnowledgeIndex:
    directory: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: faiss.Index
    embedder: Embedder
    _bm25: bm25s.BM25 | None = field(default=None, repr=False)
    _vocabulary: set[str] = field(default_factory=set, repr=False)
    _alerts: dict[str, str] = field(default_factory=dict, repr=False)
    _hangul_vocabulary: bool = field(default=False, repr=False)
    _first: dict[Section, int] = field(default_factory=dict, repr=False)  # a section's first chunk
    _members: dict[Topic, list[Section]] = field(default_factory=dict, repr=False)

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        roots: list[Root],
        directory: Path,
        embedder: Embedder,
        progress: Progress | None = None,
        send_internal: bool = False,
    ) -> tuple[KnowledgeIndex, BuildReport]:
        """Index `roots` into `directory`, re-embedding only changed documents.

        With a remote embedder, internal runbooks are not sent unless `send_internal`: they get
        no vector and are found by BM25 only.
        """
        started = time.perf_counter()
        documents, skipped = scan_all(roots)
        previous = cls._previous(directory, embedder)
        old_docs = previous.manifest["documents"] if previous else {}
        by_doc: dict[str, list[int]] = {}
        if previous:
            for pos, chunk in enumerate(previous.chunks):
                by_doc.setdefault(f"{chunk.root}::{chunk.path}", []).append(pos)

        chunks: list[Chunk] = []
        blocks: list[np.ndarray | None] = []  # vectors per document, in chunk order; None: to embed
        pending: list[tuple[int, list[Chunk]]] = []
        reused = 0
        for doc in documents:
            old = old_docs.get(doc.key)
            if previous and old and old["sha"] == doc.sha and doc.key in by_doc:
                positions = by_doc[doc.key]
                for pos in positions:
                    chunk = previous.chunks[pos]
                    chunk.id = len(chunks)
                    chunks.append(chunk)
                blocks.append(np.vstack([previous.vectors.reconstruct(p) for p in positions]))
                reused += 1
                continue
            new = chunk_document(doc, len(chunks))
            chunks.extend(new)
            blocks.append(None)
            pending.append((len(blocks) - 1, new))

        to_embed = [c for _, new in pending for c in new]
        kept_home = [embedder.remote and not send_internal and c.visibility == "internal" for c in to_embed]
        texts = [c.text for c, home in zip(to_embed, kept_home, strict=True) if not home]
        embedded = []
        for start in range(0, len(texts), BATCH):
            embedded.append(embedder.embed(texts[start : start + BATCH]))
            if progress:
                progress(min(start + BATCH, len(texts)), len(texts), "embedding")
        sent = np.vstack(embedded) if embedded else np.zeros((0, embedder.dim), dtype=np.float32)
        fresh = np.zeros((len(to_embed), embedder.dim), dtype=np.float32)
        fresh[[i for i, home in enumerate(kept_home) if not home]] = sent
        offset = 0
        for slot, new in pending:
            blocks[slot] = fresh[offset : offset + len(new)]
            offset += len(new)
        matrix = np.vstack([b for b in blocks if b is not None and len(b)]) if chunks else None
        index = faiss.IndexFlatIP(embedder.dim)
        if matrix is not None:
            index.add(np.ascontiguousarray(matrix, dtype=np.float32))
        counts: dict[str, int] = {}
        for chunk in chunks:
            counts[f"{chunk.root}::{chunk.path}"] = counts.get(f"{chunk.root}::{chunk.path}", 0) + 1
        manifest = {
            "format": FORMAT,
            "embedder": embedder.name,
            "dim": embedder.dim,
            "built_at": iso(utcnow()),
            "roots": [{"path": str(r.path), "internal": r.internal} for r in roots],
            "documents": {
                d.key: {
                    "sha": d.sha,
                    "source": d.source,
                    "title": d.title,
                    "chunks": counts.get(d.key, 0),
                    "visibility": d.visibility,
                }
                for d in documents
            },
            "skipped": [{"root": s.root, "path": s.path, "reason": s.reason} for s in skipped],
            "chunk_count": len(chunks),
        }
        built = cls(directory, manifest, chunks, index, embedder)
        built.save()
        report = BuildReport(
            documents=len(documents),
            chunks=len(chunks),
            embedded_documents=len(pending),
            reused_documents=reused,
            skipped=skipped,
            seconds=time.perf_counter() - started,
            removed_documents=len(set(old_docs) - {d.key for d in documents}),
        )
        return built, report

    @classmethod
    def _previous(cls, directory: Path, embedder: Embedder) -> KnowledgeIndex | None:
        """The index already in `directory` if it was made with this embedder, else None."""
        try:
            previous = cls.load(directory, embedder)
        except KnowledgeError:
            return None
        return previous

    def save(self) -> None:
        """Write a new generation folder, fsync it, then switch the CURRENT pointer to it atomically.

        A crash at any point leaves the previous index whole and current; the next build starts
        from it (readers that loaded the old generation keep their copy in memory).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        generation = self.directory / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        generation.mkdir()
        with (generation / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for chunk in self.chunks:
                out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        faiss.write_index(self.vectors, str(generation / "vectors.faiss"))
        (generation / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        for name in FILES:
            fsync_path(generation / name)
        fsync_path(generation)
        switch_to(self.directory, generation.name)
        for legacy in FILES:  # the layout before generations
            (self.directory / legacy).unlink(missing_ok=True)

    @staticmethod
    def exists(directory: Path) -> bool:
        return (_current(directory) / "manifest.json").is_file()

    # --- loading --------------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> KnowledgeIndex:
        files = _current(directory)
        manifest_path = files / "manifest.json"
        rebuild = f"oncall kb build --index {directory}"
        if not manifest_path.is_file():
            raise KnowledgeError(f"no runbook index at {directory}; build it with: {rebuild}")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                raise KnowledgeError(f"the index at {directory} has an older format; rebuild it with: {rebuild}")
            if manifest["embedder"] != embedder.name:
                raise KnowledgeError(
                    f"the index at {directory} was built with the embedder {manifest['embedder']} "
                    f"(dimension {manifest['dim']}), not {embedder.name}; rebuild it with: {rebuild}"
                )
            with (files / "chunks.jsonl").open(encoding="utf-8") as fh:
                chunks = [Chunk(**json.loads(line)) for line in fh if line.strip()]
            vectors = faiss.read_index(str(files / "vectors.faiss"))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            if isinstance(exc, KnowledgeError):
                raise
            raise KnowledgeError(
                f"the index at {directory} is damaged ({exc.__class__.__name__}); rebuild it with: {rebuild}"
            ) from None
        if vectors.ntotal != len(chunks):
            raise KnowledgeError(f"the index at {directory} is damaged (vectors and chunks differ); rebuild it with: {rebuild}")
        return cls(directory, manifest, chunks, vectors, embedder)

    # --- searching ------------------------------------------------------------------------------

    def _lexical(self) -> bm25s.BM25:
        if self._bm25 is None:
            # The title counts twice: a runbook's name says what it is about better than its body.
            # The section's own heading counts twice too: it says which part of the runbook this is.
            corpus = [tokens(c.title) + tokens(c.section.split(" > ")[-1]) + tokens(c.text) for c in self.chunks]
            self._vocabulary = {t for doc in corpus for t in doc}
            self._hangul_vocabulary = any(HANGUL.match(t) for t in self._vocabulary)
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)
            for chunk in self.chunks:
                for name in chunk.alerts:
                    self._alerts.setdefault(name.lower(), name)
        return self._bm25

    def named_alerts(self, query: str) -> set[str]:
        """Alert names in the query that runbooks mention.

        CamelCase names match in any case (kubepodcrashlooping); a one-word name such as
        Watchdog only as written, so that a runbook named like a common word is not boosted.
        """
        self._lexical()
        words = set(alert_names(query)) | set(re.findall(r"[A-Za-z][A-Za-z0-9]+", query))
        found = set()
        for word in words:
            name = self._alerts.get(word.lower())
            if name and (word == name or sum(ch.isupper() for ch in name) >= 2):
                found.add(name)
        return found

    def search(self, query: str, k: int = 5, include_internal: bool = True) -> list[Hit]:
        """The `k` most relevant sections, each as its best chunk; a runbook may give several.

        Two levels, as people read runbooks: first which topic (a runbook, or in a page with a
        section per alert, that alert's section), then which of its sections. Each ranker ranks
        chunks; a section ranks where its best chunk does and the rankings are fused by
        reciprocal rank. A topic scores as its best section (plus a boost when the question names
        its alert). Within a topic, sections of the kind the question asks for (the fix, the
        checks, the impact) come first, then by their own score; a topic's later sections count
        less (DECAY), so the top five mix topics instead of listing one runbook.
        """
        if not self.chunks or not query.strip():
            return []
        allowed = (lambda c: True) if include_internal else (lambda c: c.visibility != "internal")
        own: dict[Section, float] = {}
        best: dict[Section, tuple[float, int]] = {}  # section -> (its best single share, that chunk)
        topics: dict[Topic, float] = {}
        for ranking, weight in self._rankings(expand(query)):
            seen: set[Section] = set()
            seen_topics: set[Topic] = set()
            for pos in ranking:
                chunk = self.chunks[pos]
                key, topic = _section(chunk), _topic(chunk)
                if not allowed(chunk):
                    continue
                if topic not in seen_topics:  # a topic ranks where its best chunk does
                    seen_topics.add(topic)
                    topics[topic] = topics.get(topic, 0.0) + weight / (RRF_K + len(seen_topics))
                if key in seen:
                    continue
                seen.add(key)
                share = weight / (RRF_K + len(seen))
                own[key] = own.get(key, 0.0) + share
                if key not in best or share > best[key][0]:
                    best[key] = (share, pos)
        named, wants = self.named_alerts(query), question_intents(query)
        if named:
            mentioned = {_topic(self.chunks[pos]) for _, pos in best.values() if named & set(self.chunks[pos].alerts)}
            for topic in topics:
                if named & set(topic[2]):
                    topics[topic] += ALERT_BOOST
                elif topic in mentioned:
                    topics[topic] += MENTION_BOOST
        ranked_topics = sorted(topics, key=lambda t: -topics[t])[: max(k, TOPICS)]
        scored: list[tuple[float, int, float]] = []  # (score, chunk, shown score)
        for topic in ranked_topics:
            members = self._topic_sections(topic, allowed)
            members.sort(key=lambda key: (-(section_kind(key[2]) in wants), -own.get(key, 0.0), self._first[key]))
            for j, key in enumerate(members[:k]):
                pos = best[key][1] if key in best else self._first[key]
                scored.append((topics[topic] * DECAY**j, pos, topics[topic] * DECAY**j))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [self._hit(pos, shown) for _, pos, shown in scored[:k]]

    def _topic_sections(self, topic: Topic, allowed: Callable[[Chunk], bool]) -> list[Section]:
        """Every section of a topic, in page order."""
        if not self._first:
            for pos, chunk in enumerate(self.chunks):
                self._first.setdefault(_section(chunk), pos)
                self._members.setdefault(_topic(chunk), [])
                if _section(chunk) not in self._members[_topic(chunk)]:
                    self._members[_topic(chunk)].append(_section(chunk))
        return [key for key in self._members.get(topic, []) if allowed(self.chunks[self._first[key]])]

    def _rankings(self, query: str) -> list[tuple[list[int], float]]:
        """Chunk rankings of the dense and the BM25 retriever, each with its fusion weight.

        BM25 is weighted by the share of the query's words it could know that it does know: a
        Korean question about English runbooks shares no Hangul with them, so only its English
        words (product and alert names, a pasted log line, the glossary's translations) count,
        and a question made of words the runbooks never use leaves BM25 out.
        """
        n = min(CANDIDATES, len(self.chunks))
        vector = query_vector(self.embedder, query)
        _, dense_ids = self.vectors.search(np.ascontiguousarray(vector, dtype=np.float32), n)
        rankings = [([int(p) for p in dense_ids[0] if p >= 0], DENSE_WEIGHT)]
        bm25 = self._lexical()
        query_tokens = tokens(query)
        if not self._hangul_vocabulary:
            query_tokens = [t for t in query_tokens if not HANGUL.match(t)]
        known = [t for t in query_tokens if t in self._vocabulary]
        if known:
            lexical = bm25.get_scores(known)
            order = [int(p) for p in np.argsort(-lexical)[:n] if lexical[p] > 0]
            rankings.append((order, len(known) / len(query_tokens)))
        return rankings

    def section(self, hit: Hit, names: tuple[str, ...]) -> Hit:
        """The chunk of the same runbook whose section is one of `names` (first found), else `hit`."""
        for name in names:
            for pos, chunk in enumerate(self.chunks):
                if chunk.root == hit.root and chunk.path == hit.path and chunk.section.split(" > ")[-1].lower() == name.lower():
                    return self._hit(pos, hit.score)
        return hit

    def _hit(self, pos: int, score: float) -> Hit:
        c = self.chunks[pos]
        return Hit(c.source, c.title, c.section, score, c.text, c.root, c.path, c.visibility, c.alerts)

    # --- status ---------------------------------------------------------------------------------

    def stats(self) -> dict:
        m = self.manifest
        files = _current(self.directory)
        size = sum((files / n).stat().st_size for n in FILES)
        return {
            "index": str(self.directory),
            "documents": len(m["documents"]),
            "chunks": len(self.chunks),
            "internal_chunks": sum(c.visibility == "internal" for c in self.chunks),
            "embedder": m["embedder"],
            "dim": m["dim"],
            "built_at": m["built_at"],
            "roots": m["roots"],
            "skipped": m["skipped"],
            "bytes": size,
        }
