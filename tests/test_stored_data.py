"""What the dashboard stores: secrets redacted first, a private file, retention and deletion."""

from __future__ import annotations

import stat
from datetime import timedelta

from services.storage import Store
from services.timewindow import iso, utcnow
from tests.conftest import oncall

KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234"


def test_secrets_are_redacted_before_they_are_stored(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.save_answer("r1", "s", f"why does {KEY} fail?", "PGPASSWORD=hunter2hunter2 is wrong", "alerts", "offline", "f", "t", [])
    store.add_feedback("r1", "s", "helpful", f"token={KEY}")
    job = store.create_report("f", "t", "rotated DB_PASSWORD=Sup3rSecret!")
    store.update_report(job, markdown=f"notes: {KEY}", html=f"<p>{KEY}</p>")
    raw = (tmp_path / "db.sqlite").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite-*"))
    for secret in (KEY, "hunter2hunter2", "Sup3rSecret"):
        assert secret.encode() not in raw, secret
    assert "[REDACTED:" in store.answers_between("0", "9")[0]["question"]


def test_the_database_is_readable_by_its_owner_only(tmp_path):
    Store.open(f"sqlite:///{tmp_path / 'data' / 'db.sqlite'}")
    assert stat.S_IMODE((tmp_path / "data" / "db.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_retention_and_deletion_from_the_cli(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'oncall.db'}")
    for rid in ("old", "new", "forget-me"):
        store.save_answer(rid, "s", f"question {rid}", "answer", "alerts", "offline", "f", "t", [])
    with store.transaction() as db:
        db.exec_driver_sql("UPDATE answers SET created_at = ? WHERE request_id = 'old'", (iso(utcnow() - timedelta(days=40)),))
    env = {"ONCALL_DATA_DIR": str(tmp_path)}
    purged = oncall("data", "purge", "--older-than-days", "30", env=env)
    assert purged.returncode == 0 and "1 answers" in purged.stdout
    assert oncall("data", "delete", "--request-id", "forget-me", env=env).returncode == 0
    assert [a["request_id"] for a in store.answers_between("0", "9")] == ["new"]
    missing = oncall("data", "delete", "--request-id", "nope", env=env)
    assert missing.returncode == 1 and "nothing stored" in missing.stderr


def test_an_export_names_the_source_without_its_credentials(tmp_path):
    from services.reports.export import to_markdown
    from services.reports.summary import build_summary
    from services.sources.base import Filters
    from services.timewindow import Window
    from tests.conftest import ANCHOR, runtime_for, settings_for

    runtime = runtime_for(settings_for(prometheus_url="http://oncall:Pr0mPassw0rd@127.0.0.1:9", timeout_seconds=1))
    summary = build_summary(runtime, Window(ANCHOR - timedelta(hours=1), ANCHOR), Filters())
    text = to_markdown(summary)
    assert "Source: http://127.0.0.1:9" in text and "Pr0mPassw0rd" not in text
    assert all("Pr0mPassw0rd" not in problem for problem in summary.problems)
