"""The runbook index shared by replicas through the database.

Replicas need not share a disk: the one that builds the index publishes the new generation's
files (a tar.gz of manifest, chunks and vectors) as a row; every replica, before it reads its
index, compares its current generation with the newest published one for its embedder and, if
they differ, unpacks that into its own index folder and switches to it. So a rebuild through one
replica reaches the others without a restart. Chunk texts are redacted before they are published
(secrets never reach the database).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tarfile
import uuid
from pathlib import Path

from services.knowledge.documents import KnowledgeError
from services.knowledge.index import FILES, KnowledgeIndex, current_generation, fsync_path, switch_to
from services.safety.redact import redact
from services.storage import Store

log = logging.getLogger(__name__)


def publish(store: Store, index: KnowledgeIndex, author: str) -> str:
    """Publish the index's current generation for the other replicas; its name."""
    name = current_generation(index.directory)
    if name is None:
        raise KnowledgeError(f"the index at {index.directory} has no generation to publish")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for file in FILES:
            data = (index.directory / name / file).read_bytes()
            if file == "chunks.jsonl":
                data = _redacted_chunks(data)
            member = tarfile.TarInfo(file)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    store.publish_index(name, index.manifest["embedder"], author, buffer.getvalue())
    log.info("published runbook index %s (%d bytes)", name, buffer.tell())
    return name


def _redacted_chunks(data: bytes) -> bytes:
    lines = []
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            chunk = json.loads(line)
            chunk["text"], chunk["body"] = redact(chunk["text"]), redact(chunk["body"])
            lines.append(json.dumps(chunk, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def sync(store: Store, directory: Path, embedder: str) -> str | None:
    """Make `directory` hold the newest generation published for `embedder`; its name (None: none published)."""
    latest = store.latest_index(embedder)
    if latest is None:
        return None
    name = latest["name"]
    if current_generation(directory) == name:
        return name
    archive = store.index_archive(name)
    if archive is None:  # replaced by a newer one since: the next read takes that
        return current_generation(directory)
    staging = directory / f".incoming-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as packed:
            members = [m for m in packed.getmembers() if m.isfile() and m.name in FILES]
            if {m.name for m in members} != set(FILES):
                raise KnowledgeError(f"published index {name} is incomplete")
            packed.extractall(staging, members=members, filter="data")
        target = directory / name
        if not target.exists():
            for file in FILES:
                fsync_path(staging / file)
            os.replace(staging, target)
        switch_to(directory, name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("runbook index %s published by %s loaded into %s", name, latest["author"], directory)
    return name
