"""A page section that shows its own failure and lets the rest of the page render."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from services.sources.base import SourceError


@contextmanager
def panel(title: str) -> Iterator[None]:
    try:
        yield
    except SourceError as exc:
        st.error(f"**{title}** could not be loaded: {exc}", icon=":material/error:")


def no_data(what: str) -> None:
    st.info(f"No {what} in this window and filter.", icon=":material/info:")
