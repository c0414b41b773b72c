"""The runbook index: ingestion as-is and of bad files, search quality, incremental rebuilds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.knowledge import index as index_module
from services.knowledge.chunks import chunk_document
from services.knowledge.documents import KnowledgeError, Root, scan
from services.knowledge.embedders import LocalEmbedder, OpenAIEmbedder
from services.knowledge.index import KnowledgeIndex
from services.knowledge.recall import load_cases, score
from tests.fake_openai import fake_openai

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus" / "prometheus-operator-runbooks"
# The shared corpus as it sits beside the checkout; the vendored copy is the same files.
CORPUS = SHARED if SHARED.is_dir() else ROOT / "data" / "vendor" / "prometheus-operator-runbooks"
DEVSET = load_cases(ROOT / "data" / "eval" / "retrieval.jsonl")


@pytest.fixture(scope="module")
def embedder():
    return LocalEmbedder()


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory, embedder):
    index, _ = KnowledgeIndex.build([Root(CORPUS)], tmp_path_factory.mktemp("kb"), embedder)
    return index


def test_the_shared_corpus_ingests_as_is():
    documents, skipped = scan(Root(CORPUS))
    assert len(documents) == 108
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["_index.md"].startswith("no content")  # Hugo section index pages
    assert reasons["LICENSE"].startswith("unsupported file type")
    crash = next(d for d in documents if d.path == "kubernetes/KubePodCrashLooping.md")
    chunks = chunk_document(crash)
    assert [c.section for c in chunks] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]
    assert all(c.source == "kubernetes/KubePodCrashLooping.md" and c.title == "KubePodCrashLooping" for c in chunks)
    assert chunks[0].text.startswith("KubePodCrashLooping\nMeaning\n\n")
    assert all(c.primary_alerts == ["KubePodCrashLooping"] for c in chunks)
    assert len({c.hash for c in chunks}) == 4


def write(path: Path, content: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_bad_files_are_skipped_with_their_reason_and_good_ones_kept(tmp_path):
    root = tmp_path / "runbooks"
    write(
        root / "good.md",
        "---\ntitle: Disk full\nurl: https://wiki.example.com/disk\n---\n# DiskFull\n\n## Meaning\n\nThe disk is full.\n",
    )
    write(
        root / "toml.md",
        "+++\ntitle = 'TOML page'\n+++\n# QueueBacklogHigh\n\n## Diagnosis\n\nRun `kafka-consumer-groups --describe`.\n",
    )
    write(
        root / "export.html",
        "<html><head><title>Payments outage</title></head><body><h1>Payments</h1>"
        "<h2>Mitigation</h2><p>Fail over to the standby ledger.</p><script>x()</script></body></html>",
    )
    write(root / "notes.txt", "Ledger failover\n\nPromote the replica with ledgerctl promote.\n")
    write(root / "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(root / "latin1.md", "# Caf\xe9 runbook\n\nAccents.".encode("latin-1"))
    write(root / "broken.md", "---\ntitle: [unclosed\n---\n# Broken\n\nText.\n")
    write(root / "unclosed.md", "---\ntitle: never closed\n# Body\n")
    write(root / "empty.md", "")
    write(root / ".git" / "config.md", "# hidden")
    documents, skipped = scan(Root(root))
    assert sorted(d.path for d in documents) == ["export.html", "good.md", "notes.txt", "toml.md"]
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["binary.md"] == "binary file"
    assert reasons["latin1.md"].startswith("not UTF-8 text (byte 0xe9")
    assert reasons["broken.md"].startswith("front matter does not parse")
    assert reasons["unclosed.md"] == "front matter opened with --- is never closed"
    assert reasons["empty.md"].startswith("no content")
    assert ".git/config.md" not in reasons
    good = next(d for d in documents if d.path == "good.md")
    assert good.source == "https://wiki.example.com/disk"  # front matter gives the URL
    html = next(d for d in documents if d.path == "export.html")
    assert html.title == "Payments outage"
    assert [c.section for c in chunk_document(html)] == ["Payments > Mitigation"]
    assert "x()" not in html.body


def test_missing_or_empty_roots_are_errors(tmp_path):
    with pytest.raises(KnowledgeError, match="does not exist"):
        scan(Root(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "image.png", b"\x89PNG")
    with pytest.raises(KnowledgeError, match=r"has no readable Markdown, text or HTML runbook \(1 files skipped\)"):
        scan(Root(tmp_path / "empty"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_dev_set_recall(corpus_index, lang):
    result = score(corpus_index, [c for c in DEVSET if c["lang"] == lang])
    assert result.cases >= 20
    assert result.recall_at_5 >= 0.97, result
    assert result.recall_at_1 >= 0.85, result


def test_an_alert_name_in_the_query_puts_its_runbook_first(corpus_index):
    payload = '{"status": "firing", "labels": {"alertname": "KubeletTooManyPods", "node": "ip-10-0-1-2"}}'
    assert corpus_index.search(payload, 3)[0].source == "kubernetes/KubeletTooManyPods.md"
    noisy = "disk full and slow etcd and certificates expiring, also KubePodCrashLooping fired"
    assert corpus_index.search(noisy, 3)[0].source == "kubernetes/KubePodCrashLooping.md"
    assert corpus_index.search("kubepodcrashlooping", 1)[0].source == "kubernetes/KubePodCrashLooping.md"


def test_incremental_rebuild_embeds_only_what_changed(tmp_path, embedder):
    root = tmp_path / "runbooks"
    shutil.copytree(CORPUS / "etcd", root / "etcd")
    shutil.copytree(CORPUS / "general", root / "general")
    index_dir = tmp_path / "kb"
    _, first = KnowledgeIndex.build([Root(root)], index_dir, embedder)
    assert first.embedded_documents == first.documents == 11
    target = root / "general" / "TargetDown.md"
    target.write_text(target.read_text() + "\n## Escalation\n\nPage the observability team on the zebra-unicorn channel.\n")
    (root / "etcd" / "etcdNoLeader.md").unlink()
    index, second = KnowledgeIndex.build([Root(root)], index_dir, embedder)
    assert (second.embedded_documents, second.reused_documents, second.removed_documents) == (1, 9, 1)
    hit = index.search("zebra-unicorn channel escalation", 1)[0]
    assert (hit.source, hit.section) == ("general/TargetDown.md", "Escalation")
    assert all(h.source != "etcd/etcdNoLeader.md" for h in index.search("etcd cluster has no leader", 10))
    reloaded = KnowledgeIndex.load(index_dir, embedder)
    assert [c.text for c in reloaded.chunks] == [c.text for c in index.chunks]
    assert reloaded.search("etcd members down", 1)[0].source == index.search("etcd members down", 1)[0].source


def test_internal_roots_are_marked_and_can_be_excluded(tmp_path, embedder):
    public, private = tmp_path / "public", tmp_path / "private"
    shutil.copytree(CORPUS / "general", public)
    write(
        private / "TargetDown-internal.md",
        "# TargetDown\n\n## Mitigation\n\nCall Bob at +82-10-0000-0000 and restart the exporter.\n",
    )
    index, _ = KnowledgeIndex.build([Root(public), Root(private, internal=True)], tmp_path / "kb", embedder)
    everything = index.search("TargetDown restart the exporter", 5)
    assert "internal" in {h.visibility for h in everything}
    quotable = index.search("TargetDown restart the exporter", 5, include_internal=False)
    assert quotable and all(h.visibility == "public" for h in quotable)


def test_openai_compatible_embeddings_and_the_embedder_mismatch(tmp_path, embedder):
    root = tmp_path / "runbooks"
    shutil.copytree(CORPUS / "general", root)
    with fake_openai() as fake:
        remote = OpenAIEmbedder("text-embedding-3-small", "sk-test", fake.url)
        index, report = KnowledgeIndex.build([Root(root)], tmp_path / "kb", remote)
        assert report.documents == 4 and index.manifest["embedder"] == "openai:text-embedding-3-small"
        assert index.manifest["dim"] == 64
        assert all(r["body"]["model"] == "text-embedding-3-small" for r in fake.requests)
        assert index.search("Watchdog alert always firing", 1)[0].source == "Watchdog.md"
    with pytest.raises(KnowledgeError, match=r"built with the embedder openai:text-embedding-3-small .* oncall kb build --index"):
        KnowledgeIndex.load(tmp_path / "kb", embedder)


def test_openai_embedder_without_a_key_says_so():
    with pytest.raises(KnowledgeError, match="OpenAI embeddings need OPENAI_API_KEY"):
        OpenAIEmbedder("text-embedding-3-small", None, None)


def test_an_unreachable_embedding_server_is_a_clear_error(tmp_path):
    remote = OpenAIEmbedder("text-embedding-3-small", "sk-test", "http://127.0.0.1:9/v1", timeout=2)
    write(tmp_path / "r" / "a.md", "# A\n\n## Meaning\n\nSomething.\n")
    with pytest.raises(KnowledgeError, match="embedding with openai:text-embedding-3-small failed: APIConnectionError"):
        KnowledgeIndex.build([Root(tmp_path / "r")], tmp_path / "kb", remote)


def test_llm_review_sends_the_runbook_without_its_secrets():
    from services.knowledge.documents import Document
    from services.knowledge.indexing import review_runbook
    from tests.conftest import chat_model

    with fake_openai() as fake:
        fake.reply = "- Mitigation: add the rollback command."
        settings = chat_model(fake.url, "review-model", 10)
        body = "## Mitigation\n\nLog in with password=Sup3rS3cret! and restart.\n"
        doc = Document(".", "LedgerDown.md", "LedgerDown.md", "LedgerDown", body, "public", "", {})
        assert review_runbook(settings, doc) == "- Mitigation: add the rollback command."
        request = fake.requests[-1]["body"]
        assert request["model"] == "review-model" and request["temperature"] == 0
        sent = json.dumps(request["messages"])
        assert "LedgerDown" in sent and "restart" in sent
        assert "Sup3rS3cret" not in sent and "[REDACTED:SECRET]" in sent


def test_a_remote_embedder_gets_no_secrets_and_no_internal_runbook(tmp_path):
    public, private = tmp_path / "public", tmp_path / "private"
    write(public / "Db.md", "# DbDown\n\n## Diagnosis\n\nConnect with PGPASSWORD=Sup3rSecretPw psql -h db and check.\n")
    write(private / "Vendor.md", "# VendorOutage\n\n## Mitigation\n\nCall the vendor hotline, contract 4471-INTERNAL.\n")
    roots = [Root(public), Root(private, internal=True)]
    with fake_openai() as fake:
        remote = OpenAIEmbedder("text-embedding-3-small", "sk-test", fake.url)
        index, _ = KnowledgeIndex.build(roots, tmp_path / "kb", remote)
        index.search("why does PGPASSWORD=AnotherSecret99 fail?", 3)
        sent = json.dumps([r["body"] for r in fake.requests])
        assert "Sup3rSecretPw" not in sent and "AnotherSecret99" not in sent and "[REDACTED:" in sent
        assert "4471-INTERNAL" not in sent and "VendorOutage" not in sent  # internal: kept home
        assert index.search("vendor hotline contract", 3)[0].source == "Vendor.md"  # still found, by BM25
        opted, _ = KnowledgeIndex.build(roots, tmp_path / "kb2", remote, send_internal=True)
        assert "4471-INTERNAL" in json.dumps([r["body"] for r in fake.requests])


def test_a_crash_while_saving_leaves_the_old_index_and_the_next_build_fixes_it(tmp_path, embedder, monkeypatch):
    root = tmp_path / "runbooks"
    write(root / "A.md", "# AlphaDown\n\n## Mitigation\n\nRestart alpha.\n")
    KnowledgeIndex.build([Root(root)], tmp_path / "kb", embedder)
    write(root / "A.md", "# AlphaDown\n\n## Mitigation\n\nFail over alpha to the standby region.\n")

    def crash(directory, generation):
        raise OSError("power lost between writing and switching")

    with monkeypatch.context() as patched:
        patched.setattr(index_module, "switch_to", crash)
        with pytest.raises(OSError):
            KnowledgeIndex.build([Root(root)], tmp_path / "kb", embedder)
    old = KnowledgeIndex.load(tmp_path / "kb", embedder)  # whole and consistent: the previous one
    assert "Restart alpha" in old.search("alpha mitigation", 1)[0].text
    rebuilt, report = KnowledgeIndex.build([Root(root)], tmp_path / "kb", embedder)
    assert report.embedded_documents == 1  # the change is seen, not taken as up to date
    assert "standby region" in KnowledgeIndex.load(tmp_path / "kb", embedder).search("alpha mitigation", 1)[0].text


def test_a_yaml_alias_bomb_or_a_link_outside_skips_that_file_only(tmp_path, embedder):
    root = tmp_path / "runbooks"
    bomb = (
        "---\n"
        + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
            f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
            for i in range(9)
        )
        + "title: *j\n---\n# Bomb\n\nText.\n"
    )
    write(root / "Bomb.md", bomb)
    write(
        root / "Good.md",
        "# GoodAlert\n\n## Mitigation\n\nRestart the good service with kubectl rollout restart deployment/good and watch its error rate.\n",
    )
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "Leak.md").symlink_to(outside)
    index, report = KnowledgeIndex.build([Root(root)], tmp_path / "kb", embedder)
    reasons = {s.path: s.reason for s in report.skipped}
    assert "aliases" in reasons["Bomb.md"] and reasons["Leak.md"] == "a link to a file outside the runbook folder"
    assert report.documents == 1 and index.search("root bash", 3)[0].source == "Good.md"


def test_a_remote_embedder_gets_redacted_text_and_no_internal_runbook(tmp_path):
    """With ONCALL_EMBEDDER=openai the chunks leave the machine: secrets first go, internal runbooks stay home."""
    public, private = tmp_path / "public", tmp_path / "private"
    write(public / "Db.md", "# DbDown\n\n## Diagnosis\n\nConnect with PGPASSWORD=Sup3rS3cret! psql -h db.internal\n")
    write(private / "Vault.md", "# VaultSealed\n\n## Mitigation\n\nUnseal with the key in the team safe, room 4F.\n")
    with fake_openai() as fake:
        remote = OpenAIEmbedder("text-embedding-3-small", "sk-test", fake.url)
        index, _ = KnowledgeIndex.build([Root(public), Root(private, internal=True)], tmp_path / "kb", remote)
        index.search("token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 db down", 3)
        sent = json.dumps([r["body"] for r in fake.requests])
    assert "Sup3rS3cret!" not in sent and "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in sent
    assert "DbDown" in sent and "team safe" not in sent  # the internal runbook was never sent
    assert index.search("unseal vault team safe", 1)[0].source == "Vault.md"  # still found, by BM25


EVAL = ROOT / "data" / "eval"
# Section-level dev sets written apart from the code: a one-page-many-sections collection of our
# own, and new questions over the shared corpus. Floors a little under what the index scores
# today (README), so that a regression fails and noise does not.
SECTION_SETS = {
    "onepage": (EVAL / "onepage", EVAL / "retrieval_onepage.jsonl", {"en": (0.85, 0.95), "ko": (0.70, 0.90)}),
    "shared": (CORPUS, EVAL / "retrieval_sections.jsonl", {"en": (0.60, 0.90), "ko": (0.72, 0.87)}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SECTION_SETS))
def test_section_level_recall_on_the_dev_sets(name, tmp_path, embedder):
    folder, cases_path, floors = SECTION_SETS[name]
    index, _ = KnowledgeIndex.build([Root(folder)], tmp_path / "kb", embedder)
    cases = load_cases(cases_path)
    for lang, (at_1, at_5) in floors.items():
        result = score(index, [c for c in cases if c["lang"] == lang])
        assert result.cases >= 90
        assert result.recall_at_1 >= at_1 and result.recall_at_5 >= at_5, (lang, result)


def test_a_page_with_a_section_per_alert_answers_with_that_alerts_sections(tmp_path, embedder):
    page = "# Platform alerts\n\nOne section per alert.\n\n" + "".join(
        f"## {name}\n\n### Meaning\n\n{meaning}\n\n### Mitigation\n\n{fix}\n\n"
        for name, meaning, fix in [
            (
                "PostgresWALArchivingFailing",
                "archive_command keeps failing, pg_wal grows.",
                "Fix the archive bucket credentials.",
            ),
            (
                "TCPRetransmitsHigh",
                "Many TCP segments are retransmitted by the node.",
                "Check the NIC ring buffers with ethtool -g.",
            ),
            ("KafkaBrokerDiskFull", "A broker's log dir has no space left.", "Delete old segments after lowering retention.ms."),
        ]
    )
    write(tmp_path / "r" / "alerts.md", page)
    index, _ = KnowledgeIndex.build([Root(tmp_path / "r")], tmp_path / "kb", embedder)
    by_alert = {c.section: c.primary_alerts for c in index.chunks}
    assert by_alert["TCPRetransmitsHigh > Mitigation"] == ["TCPRetransmitsHigh"]  # a capital run is a word
    assert by_alert["PostgresWALArchivingFailing > Meaning"] == ["PostgresWALArchivingFailing"]
    hits = index.search("PostgresWALArchivingFailing fired, how do I fix it?", 3)
    assert hits[0].section == "PostgresWALArchivingFailing > Mitigation"  # the named alert, the section that fixes
    assert [h.path for h in hits].count("alerts.md") == 3  # sections, not one result per file
    assert index.search("TCP 재전송이 많아요 어떻게 확인해?", 1)[0].section.startswith("TCPRetransmitsHigh")


def test_chunks_follow_tables_short_intros_and_skip_shortcode_pages(tmp_path):
    rows = "\n".join(
        f"| metric_{i} | what metric {i} means, at some length to fill the chunk | alert at {i} |" for i in range(60)
    )
    write(
        tmp_path / "r" / "metrics.md",
        f"# Metrics\n\n## Reference\n\nShort intro.\n\n### Table\n\n| name | meaning | alert |\n|---|---|---|\n{rows}\n",
    )
    write(tmp_path / "r" / "_index.md", "---\ntitle: Runbooks\n---\n{{< toc >}}\n")
    documents, skipped = scan(Root(tmp_path / "r"))
    assert {s.path for s in skipped} == {"_index.md"}  # a page holding only a Hugo shortcode
    chunks = chunk_document(documents[0])
    assert {c.section for c in chunks} == {"Reference > Table"}  # the one-line parent is read with its child
    assert "Short intro." in chunks[0].body
    assert len(chunks) > 1
    for chunk in chunks:  # every piece of the table keeps its header and whole rows
        table = chunk.body[chunk.body.index("| name |") :].splitlines()
        assert table[0] == "| name | meaning | alert |" and all(line.endswith("|") for line in table)


def test_the_e5_embedder_builds_and_searches(tmp_path):
    from services.knowledge.embedders import E5Embedder

    write(
        tmp_path / "r" / "Disk.md", "# NodeDiskFull\n\n## Mitigation\n\nDelete old logs under /var/log and expand the volume.\n"
    )
    write(tmp_path / "r" / "Cert.md", "# CertExpiring\n\n## Mitigation\n\nRenew the TLS certificate with cert-manager.\n")
    index, _ = KnowledgeIndex.build([Root(tmp_path / "r")], tmp_path / "kb", E5Embedder())
    assert index.manifest["embedder"] == "multilingual-e5-small-q4" and index.manifest["dim"] == 384
    assert index.search("디스크가 꽉 찼어요", 1)[0].path == "Disk.md"
