"""`oncall kb ...` as a user runs it."""

import json
import shutil

from tests.conftest import oncall
from tests.test_knowledge import CORPUS


def kb(*args, index, check=True):
    result = oncall("kb", *args, env={"ONCALL_INDEX_DIR": str(index)})
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_build_search_batch_stats(tmp_path):
    index = tmp_path / "kb"
    built = kb("build", str(CORPUS), index=index)
    assert "indexed 108 documents" in built.stdout and "108 embedded" in built.stdout
    assert "_index.md: no content" in built.stdout  # skipped files are listed with the reason
    assert "embedding [" in built.stderr  # the progress bar
    again = kb("build", str(CORPUS), index=index)
    assert "0 embedded, 108 unchanged" in again.stdout

    hits = json.loads(kb("search", "파드가 계속 재시작돼요", "--json", "-k", "3", index=index).stdout)
    assert len(hits) == 3 and set(hits[0]) == {"source", "title", "section", "score", "text"}
    assert hits[0]["source"] == "kubernetes/KubePodCrashLooping.md"

    queries = tmp_path / "queries.txt"
    queries.write_text("etcd cluster has no leader\nKubeJobFailed\n", encoding="utf-8")
    lines = kb("search", "--batch", str(queries), "-k", "2", index=index).stdout.splitlines()
    assert [json.loads(line)[0]["source"] for line in lines] == ["etcd/etcdNoLeader.md", "kubernetes/KubeJobFailed.md"]

    stats = json.loads(kb("stats", "--json", index=index).stdout)
    assert stats["documents"] == 108 and stats["embedder"] == "use-multilingual-v3" and stats["dim"] == 512


def test_default_build_has_the_bundled_runbooks(tmp_path, bundled_index_dir):
    index = tmp_path / "kb"
    shutil.copytree(bundled_index_dir, index)  # the session's default index: this build re-embeds nothing
    built = kb("build", index=index)
    assert "(0 embedded" in built.stdout
    top = json.loads(kb("search", "503 with response flag UF on the recommendation edge", "--json", index=index).stdout)[0]
    assert top["source"] == "istio/Envoy503ResponseFlags.md"


def test_check_reports_missing_sections_with_suggestions(tmp_path):
    root = tmp_path / "runbooks"
    root.mkdir()
    (root / "Thin.md").write_text(
        "# ThinAlertFiring\n\n## Meaning\n\nSomething broke.\n\n## Diagnosis\n\nLook at it.\n\nSee [details](missing.md).\n"
    )
    report = json.loads(oncall("kb", "check", str(root), "--json").stdout)
    problems = {f["problem"]: f["suggestion"] for f in report["findings"]}
    assert "no Impact section" in problems and "no Mitigation section" in problems
    assert "Diagnosis has no PromQL or commands" in problems
    assert "broken relative link missing.md" in problems
    assert problems["no Mitigation section"].startswith("add '## Mitigation'")


def test_errors_are_one_line(tmp_path):
    missing = kb("search", "anything", index=tmp_path / "none", check=False)
    assert missing.returncode == 1
    assert (
        missing.stderr.strip()
        == f"oncall: error: no runbook index at {tmp_path / 'none'}; build it with: oncall kb build --index {tmp_path / 'none'}"
    )
    empty = kb("build", str(tmp_path), index=tmp_path / "kb", check=False)
    assert empty.returncode == 1 and "has no readable Markdown, text or HTML runbook" in empty.stderr
    assert "Traceback" not in empty.stderr + missing.stderr
