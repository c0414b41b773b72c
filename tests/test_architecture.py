"""The layout shows the architecture: services/ is layered, and no module imports one above it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. A module may import its own layer and the ones below it.
LAYERS = [
    {"services.config", "services.timewindow", "services.log", "services.safety", "services.i18n", "services.bounded"},
    {"services.auth"},
    {"services.storage", "services.schema", "services.migrations"},
    {"services.sources"},
    {"services.alerts", "services.mesh"},
    {"services.overview"},
    {"services.llm"},
    {"services.integrations"},
    {"services.knowledge"},
    {"services.runtime", "services.health"},
    {"services.assistant"},
    {"services.reports"},
    {"services.cli"},
]


def layer_of(module: str) -> int:
    for level, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return level
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def service_modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "services").rglob("*.py")
    }


def test_no_service_module_imports_a_layer_above_it():
    upward = []
    for module, path in service_modules().items():
        if module == "services":
            continue
        for target in imports(path):
            if target.startswith("services.") and layer_of(target) > layer_of(module):
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_services_never_import_streamlit_or_the_ui():
    offenders = [
        f"{module} imports {target}"
        for module, path in service_modules().items()
        for target in imports(path)
        if target.split(".")[0] in {"streamlit", "components", "pages", "app"}
    ]
    assert offenders == []


def test_every_service_module_has_a_layer():
    for module in service_modules():
        if module != "services":
            layer_of(module)
