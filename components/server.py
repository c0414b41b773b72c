"""The dashboard's server: Streamlit's own, started once the first page's modules are imported.

Streamlit runs every visitor's script inside its server process, and Python imports a module
once per process: what is imported here, before the server answers its health check, the first
visitor's first page does not wait for (pandas, plotly, SQLAlchemy, the assistant, the source
clients: about 1.5 s on a 2-core machine). The runbook index (FAISS and the encoder) starts
loading, or building, here too (services.runtime.served_index), and the server waits for it up to
30 s before it answers: a bundled or on-disk index is ready before the first visitor, a large
corpus keeps building in the background. Never on a page's path; the chat panel shows its state.

`python -m components.server [options of streamlit run]`, as `make run` and `oncall serve` do.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
# No components: their Streamlit caches must be made once Streamlit's runtime exists.
FIRST_PAGE = (
    "pandas",
    "plotly.graph_objects",
    "alembic.command",  # a new or older database is migrated on the first page view
    "services.alerts.timeline",
    "services.assistant.answers",
    "services.overview",
    "services.runtime",
    "services.sources.prometheus",
)


INDEX_WAIT_SECONDS = 30.0


def warm_plotly() -> None:
    """Plotly loads its validators and JSON encoder on the first figure: the pages' kinds (bars
    on a date axis, lines) are made here once."""
    import pandas as pd
    import plotly.graph_objects as go

    moments = pd.Series(pd.to_datetime(["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"]))
    bar = go.Bar(base=moments[:1], x=[3_600_000], y=["-"], orientation="h", customdata=[["-"]], hovertemplate="%{customdata[0]}")
    line = go.Scatter(x=moments, y=[1.0, 2.0], mode="lines", name="-")
    go.Figure(data=[bar, line], layout=go.Layout(barmode="overlay", xaxis=dict(type="date"))).to_json()


def start_index(wait: float = INDEX_WAIT_SECONDS) -> None:
    """The runbook index starts loading (or building) now, on its own thread, and the server
    waits up to `wait` seconds for it: on two cores, building it while the first visitor's page
    draws would slow both, and the first question would wait. A larger corpus keeps building
    after that, in the background (the chat panel says so). A configuration error is the
    dashboard's to show."""
    from services.config import ConfigError, load_settings
    from services.runtime import served_index

    try:
        warm = served_index(load_settings()).at(None)
    except ConfigError as exc:
        print(f"runbook index not started: {exc}", file=sys.stderr)
        return
    warm.get(timeout=wait)


def main(argv: list[str]) -> None:
    for module in FIRST_PAGE:
        importlib.import_module(module)
    warm_plotly()
    start_index()
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", "run", str(APP), *argv]
    streamlit(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
