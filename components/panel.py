"""A page section that shows its own failure and lets the rest of the page render."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from components.state import View
from services.safety.markup import escape_markdown
from services.sources.base import SourceError


def _show(view: View, title: str, exc: SourceError) -> None:
    st.error(view.t("panel.failed", title=title, error=escape_markdown(str(exc))), icon=":material/error:")


@contextmanager
def panel(view: View, title: str) -> Iterator[None]:
    """A section that shows a failed read as an error naming `title`."""
    try:
        yield
    except SourceError as exc:
        _show(view, title, exc)


def loaded(view: View, part: pd.DataFrame | SourceError, title: str) -> bool:
    """True for data; for a failed read, shows why and returns False."""
    if isinstance(part, SourceError):
        _show(view, title, part)
        return False
    return True


def no_data(view: View, what: str) -> None:
    st.info(view.t("panel.no_data", what=what), icon=":material/info:")
