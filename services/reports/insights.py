"""Whether the assistant helps and what it costs: aggregates over feedback and the audit log.

What people asked and how they rated it is for admins (services/auth): every read of the
database here takes the actor and checks.
"""

from __future__ import annotations

import pandas as pd

from services.auth import Actor, Permission, require
from services.storage import Store

HELPFUL = {"resolved", "helpful"}


def feedback_frame(store: Store, actor: Actor) -> pd.DataFrame:
    require(actor, Permission.SEE_INSIGHTS)
    frame = pd.DataFrame(store.feedback_rows())
    if frame.empty:
        return pd.DataFrame(columns=["day", "action", "rating", "helpful", "question"])
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.floor("D")
    frame["helpful"] = frame["rating"].isin(HELPFUL)
    frame["action"] = frame["action"].fillna("unknown")
    return frame


def helpfulness(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of Resolved/Helpful ratings per `by` (day or action), with the number of ratings."""
    if frame.empty:
        return pd.DataFrame(columns=[by, "ratings", "helpful_rate"])
    out = frame.groupby(by, as_index=False).agg(ratings=("rating", "size"), helpful_rate=("helpful", "mean"))
    return out.sort_values(by, ignore_index=True)


def audit_frame(store: Store, actor: Actor) -> pd.DataFrame:
    require(actor, Permission.SEE_INSIGHTS)
    frame = pd.DataFrame(store.audit_rows())
    if frame.empty:
        return pd.DataFrame(columns=["day", "model", "cost_usd", "latency_ms", "request_id", "action", "outcome"])
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.floor("D")
    frame["cost_usd"] = frame["cost_usd"].fillna(0.0)
    return frame


def cost_per_day(audit: pd.DataFrame) -> pd.DataFrame:
    if audit.empty:
        return pd.DataFrame(columns=["day", "model", "cost_usd", "calls"])
    return audit.groupby(["day", "model"], as_index=False).agg(cost_usd=("cost_usd", "sum"), calls=("request_id", "size"))


def slowest(audit: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    columns = ["created_at", "request_id", "action", "model", "latency_ms", "tokens_in", "tokens_out", "outcome"]
    if audit.empty:
        return pd.DataFrame(columns=columns)
    return audit.sort_values("latency_ms", ascending=False).head(limit)[columns].reset_index(drop=True)


def most_asked(store: Store, actor: Actor, limit: int = 10) -> pd.DataFrame:
    require(actor, Permission.SEE_INSIGHTS)
    rows = store.answers_between("0", "9")
    if not rows:
        return pd.DataFrame(columns=["question", "times"])
    frame = pd.DataFrame(rows)
    frame["question"] = frame["question"].str.strip().str.lower()
    return (
        frame.groupby("question", as_index=False)
        .size()
        .rename(columns={"size": "times"})
        .sort_values(["times", "question"], ascending=[False, True], ignore_index=True)
        .head(limit)
    )
