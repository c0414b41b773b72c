"""The dashboard's server: Streamlit's own, started once the first page's modules are imported.

Streamlit runs every visitor's script inside its server process, and Python imports a module
once per process: what is imported here, before the server answers its health check, the first
visitor's first page does not wait for (pandas, plotly, SQLAlchemy and Alembic, the assistant,
the source clients: about 1.5 s on a 2-core machine). The runbook index (FAISS and the encoder)
is not among them: it loads on a background thread from the first page view
(components.data.live_index), never on a page's path.

`python -m components.server [options of streamlit run]`, as `make run` and `oncall serve` do.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
FIRST_PAGE = (
    "pandas",
    "plotly.graph_objects",
    "plotly.express",
    "sqlalchemy",
    "alembic.command",  # a new or older database is migrated on the first page view
    "components.chat",
    "components.charts",
    "components.data",
    "components.identity",
    "components.sidebar",
    "services.alerts.timeline",
    "services.overview",
    "services.runtime",
    "services.sources.prometheus",
)


def main(argv: list[str]) -> None:
    for module in FIRST_PAGE:
        importlib.import_module(module)
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", "run", str(APP), *argv]
    streamlit(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
