"""Knowledge index: quality on the dev set and speed, run by hand (`python benchmarks/kb.py`).

Reports, on the shared prometheus-operator corpus:
  - recall@1, recall@5 and MRR per language on data/eval/retrieval.jsonl, for the hybrid search
    and, as ablations, dense only, BM25 only and an equal-weight fusion;
  - build time, query latency p50/p95, peak memory;
  - incremental rebuild time after one changed file;
  - p95 search latency on a synthetic index of 10,000 chunks.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.knowledge.chunks import Chunk  # noqa: E402
from services.knowledge.documents import Root  # noqa: E402
from services.knowledge.embedders import LocalEmbedder  # noqa: E402
from services.knowledge.index import KnowledgeIndex  # noqa: E402
from services.knowledge.recall import score  # noqa: E402
from tests.test_knowledge import CORPUS, DEVSET  # noqa: E402


def ablation(index: KnowledgeIndex, mode: str) -> None:
    """Patch the ranking fusion of `index` for one ablation run."""
    original = KnowledgeIndex._rankings

    def rankings(self, query):
        found = original(self, query)
        if mode == "dense only":
            return found[:1]
        if mode == "bm25 only":
            return found[1:] or [([], 1.0)]
        if mode == "equal-weight fusion":
            return [(ranking, 1.0) for ranking, _ in found]
        return found

    index._rankings = rankings.__get__(index)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(index: KnowledgeIndex, queries: list[str]) -> str:
    index.search("warm up", 5)
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q, 5)
        times.append((time.perf_counter() - start) * 1000)
    return f"p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms"


def main() -> None:
    embedder = LocalEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(CORPUS, corpus)
        t0 = time.perf_counter()
        index, report = KnowledgeIndex.build([Root(corpus)], work / "kb", embedder)
        build_s = time.perf_counter() - t0
        print(f"build: {report.documents} documents, {report.chunks} chunks in {build_s:.2f} s (model load included)")

        print(f"{'search':<22} {'lang':<4} {'R@1':>5} {'R@5':>5} {'MRR':>5}")
        for mode in ("hybrid", "dense only", "bm25 only", "equal-weight fusion"):
            probe = KnowledgeIndex.load(work / "kb", embedder)
            ablation(probe, mode)
            for lang in ("en", "ko"):
                result = score(probe, [c for c in DEVSET if c["lang"] == lang])
                print(f"{mode:<22} {lang:<4} {result.recall_at_1:>5.2f} {result.recall_at_5:>5.2f} {result.mrr:>5.2f}")

        queries = [c["q"] for c in DEVSET] * 4
        print(f"query latency over {len(queries)} queries: {latency(index, queries)}")

        target = corpus / "general" / "TargetDown.md"
        target.write_text(target.read_text() + "\n## Escalation\n\nPage the observability team.\n")
        start = time.perf_counter()
        _, again = KnowledgeIndex.build([Root(corpus)], work / "kb", embedder)
        print(
            f"incremental rebuild after one changed file: {time.perf_counter() - start:.2f} s "
            f"({again.embedded_documents} embedded, {again.reused_documents} reused)"
        )

        synthetic = synthetic_index(index, work / "synthetic", 10_000)
        print(f"10k-chunk index over {len(queries)} queries: {latency(synthetic, queries)}")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def synthetic_index(base: KnowledgeIndex, directory: Path, size: int) -> KnowledgeIndex:
    """`size` chunks: the corpus's chunks repeated as distinct documents, their vectors jittered."""
    import faiss
    import numpy as np

    rng = np.random.default_rng(7)
    vectors = np.vstack([base.vectors.reconstruct(i) for i in range(base.vectors.ntotal)])
    chunks, rows = [], []
    for i in range(size):
        src = base.chunks[i % len(base.chunks)]
        copy = i // len(base.chunks)
        chunks.append(Chunk(**{**src.to_dict(), "id": i, "path": f"copy{copy}/{src.path}", "source": f"copy{copy}/{src.source}"}))
        v = vectors[i % len(base.chunks)] + rng.normal(0, 0.02, vectors.shape[1]).astype(np.float32)
        rows.append(v / np.linalg.norm(v))
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.vstack(rows).astype(np.float32))
    manifest = {**base.manifest, "documents": {}, "chunk_count": size}
    return KnowledgeIndex(directory, manifest, chunks, flat, base.embedder)


if __name__ == "__main__":
    main()
