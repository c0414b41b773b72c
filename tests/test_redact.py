"""Secrets never reach a model: each kind is replaced, ordinary text is kept."""

import json
from pathlib import Path

import pytest

from services.safety.redact import redact

ROOT = Path(__file__).resolve().parents[1]

SECRETS = [
    ("Authorization: Bearer abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890"),
    ("OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUv123456", "sk-proj-AbCdEfGhIjKlMnOpQrStUv123456"),
    ("aws key AKIAIOSFODNN7EXAMPLE in the config", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    (
        "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("password=hunter2hunter2", "hunter2hunter2"),
    ('db: "postgres://app:s3cr3tP4ss@db.internal:5432/ledger"', "s3cr3tP4ss"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA7"),
    ("slack https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX", "XXXXXXXXXXXX"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
]


@pytest.mark.parametrize("text, secret", SECRETS)
def test_secrets_are_removed(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED:" in cleaned


def test_ordinary_runbook_text_is_kept():
    text = "Check `kubectl -n $NAMESPACE logs $POD` and rate(istio_requests_total[5m]); the token bucket refills."
    assert redact(text) == text


CORPUS = [json.loads(line) for line in (ROOT / "data" / "eval" / "secrets.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_secret_of_the_corpus_is_removed():
    """Realistic pastes (env files, manifests, shell history, headers, Korean chat): 200+ secrets of 60+ kinds."""
    secrets = [c for c in CORPUS if not c.get("keep")]
    assert len(secrets) >= 100 and len({c["kind"] for c in secrets}) >= 50
    leaked = [(c["kind"], c["text"]) for c in secrets if c["secret"] in redact(c["text"])]
    assert not leaked


def test_ordinary_operational_text_survives():
    """Trace ids, git SHAs, UUIDs, digests, PromQL, kubectl, prose about passwords: untouched."""
    keep = [c for c in CORPUS if c.get("keep")]
    assert len(keep) >= 50
    changed = [(c["kind"], c["text"], redact(c["text"])) for c in keep if redact(c["text"]) != c["text"]]
    assert not changed
