"""The audit log of model calls: one row per call, whatever its outcome."""

from __future__ import annotations

import logging

from services.storage import AuditRecord, StorageError, Store

log = logging.getLogger(__name__)


def record_call(store: Store | None, record: AuditRecord) -> bool:
    """Store one audit row; a database problem is logged, never raised into the model call."""
    if store is None:
        log.warning("model call %s not audited: no database", record.request_id)
        return False
    try:
        store.audit(record)
    except (StorageError, OSError) as exc:
        log.error("audit row for request %s (%s) not stored: %s", record.request_id, record.prompt_name, exc)
        return False
    return True
