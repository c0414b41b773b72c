"""A page section that shows its own failure and lets the rest of the page render."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from services.safety.markup import escape_markdown
from services.sources.base import SourceError


def _show(title: str, exc: SourceError) -> None:
    st.error(f"**{title}** could not be loaded: {escape_markdown(str(exc))}", icon=":material/error:")


@contextmanager
def panel(title: str) -> Iterator[None]:
    try:
        yield
    except SourceError as exc:
        _show(title, exc)


def loaded(part: pd.DataFrame | SourceError, title: str) -> bool:
    """True for data; for a failed read, shows why and returns False."""
    if isinstance(part, SourceError):
        _show(title, part)
        return False
    return True


def no_data(what: str) -> None:
    st.info(f"No {what} in this window and filter.", icon=":material/info:")
