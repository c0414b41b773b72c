"""Secrets never reach a model: each kind is replaced, ordinary text is kept."""

import pytest

from services.safety.redact import redact

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
