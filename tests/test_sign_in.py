"""Sign-in and roles in a real browser, against a real OpenID Connect provider on loopback.

One dashboard (`streamlit run` with an `[auth]` section in its secrets file), one provider
(oidc-provider-mock), one Chromium; each user signs in through the provider's login form in a
fresh browser context. Silences go to a real Alertmanager, proposed by a model (the fake OpenAI
server), and the database is read back from the dashboard's data dir.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from services.assistant.tools import Proposal, ToolCall, execute
from services.auth import Actor, Kind, PermissionDenied, Role, signed_in
from services.config import Settings, load_settings
from services.runtime import build_runtime
from services.storage import Store
from services.timewindow import iso
from tests import servers
from tests.conftest import ANCHOR, require
from tests.fake_openai import FakeOpenAI, fake_openai

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute

# The provider's own use of Authlib's deprecated APIs (its server thread) is not ours to fix.
pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:get_jwt_config")]

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "ONCALL_ROLE_CLAIM": "groups",
    "ONCALL_ROLE_ADMINS": "sre-admins",
    "ONCALL_ROLE_RESPONDERS": "sre-oncall",
    "ONCALL_ROLE_VIEWERS": "engineering",  # a viewer list: someone on no list gets no role
}
# sub -> the claims registered with the provider (it adds `sub`; `email` comes with the email scope).
USERS: dict[str, dict[str, object]] = {
    "vera": {"email": "vera@example.com", "name": "Vera Viewer", "groups": ["engineering"]},
    "rex": {"email": "rex@example.com", "name": "Rex Responder", "groups": ["engineering", "SRE-Oncall"]},
    "ada": {"email": "ada@example.com", "name": "Ada Admin", "groups": ["sre-admins"]},
    "noel": {"email": "noel@example.com", "name": "Noel Nobody", "groups": ["marketing"]},
}
ROUTER_PASS = {"content": "no JSON here"}  # the model router is asked first; this makes it use the rules
SILENCE_QUESTION = "silence the crash looping alert for 30 minutes"


def silence_turns(comment: str) -> list[dict]:
    """The model's turns for SILENCE_QUESTION: route by the rules, propose a silence, say so."""
    call = {
        "name": "create_silence",
        "arguments": {"matchers": {"alertname": "KubePodCrashLooping"}, "duration_minutes": 30, "comment": comment},
    }
    return [ROUTER_PASS, {"tool_calls": [call]}, {"content": "I proposed a 30 minute silence [1]."}]


@dataclass
class Dashboard:
    url: str  # http://localhost:PORT, the host name of redirect_uri (the auth cookie is set for it)
    provider: str
    alertmanager: str
    model: FakeOpenAI
    settings: Settings  # what the dashboard loads: its environment and its secrets file

    def store(self) -> Store:
        return Store.open(self.settings.storage.db_url)

    def silences(self, comment: str) -> list[dict]:
        found = requests.get(f"{self.alertmanager}/api/v2/silences", timeout=5).json()
        return [s for s in found if s["comment"] == comment]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock on loopback, with the users registered through its API."""
    import authlib.deprecate  # noqa: F401  (on import it puts its own "always" filter first)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "authlib.jose module is deprecated")
        from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        for sub, claims in USERS.items():
            requests.put(f"{url}/users/{sub}", json=claims, timeout=5).raise_for_status()
        yield url


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, provider, alertmanager_url, bundled_index_dir) -> Iterator[Dashboard]:
    work = tmp_path_factory.mktemp("sign-in")
    port = servers.free_port()
    url = f"http://localhost:{port}"
    (work / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    secrets_file = work / ".streamlit" / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "oncall-dashboard"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    with fake_openai() as model:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "ALERTMANAGER_", "ONCALL_", "OPENAI_"))},
            **ROLES,
            "ONCALL_DATA_DIR": str(work / "data"),
            "ONCALL_INDEX_DIR": str(bundled_index_dir),
            "ONCALL_DEMO_NOW": iso(ANCHOR),
            "ALERTMANAGER_URL": alertmanager_url,
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": model.url,
        }
        settings = load_settings(env, secrets_file)
        assert settings.access.sign_in and settings.access.viewers == {"engineering"}
        with servers.streamlit(work, env, work / "streamlit.log", port=port):
            yield Dashboard(url, provider, alertmanager_url, model, settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require(servers.CHROMIUM)
    with servers.chromium() as chromium:
        yield chromium


def settle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the app is connected and its script is not running. A run an action just asked
    for may not have started yet: wait first for something that action shows."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']",
        state="attached",
        timeout=timeout,
    )


@pytest.fixture
def sign_in(browser, dashboard) -> Iterator[Callable[..., Page]]:
    """sign_in(sub, route_ws=None): a new browser context signs in as `sub` through the
    provider's login form (its Streamlit connection routed through `route_ws` if given)."""
    contexts: list[BrowserContext] = []

    def signed_in_page(sub: str, route_ws: Callable[[WebSocketRoute], None] | None = None) -> Page:
        context = browser.new_context(viewport={"width": 1600, "height": 1600})
        contexts.append(context)
        if route_ws is not None:
            context.route_web_socket("**/_stcore/stream", route_ws)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(dashboard.url)
        sign_in_button = page.get_by_role("button", name="Sign in")
        sign_in_button.wait_for()
        settle(page)
        # Nothing of the dashboard before sign-in, not even the page list (on a new server too).
        assert page.locator("[data-testid='stSidebarNav']").count() == 0, navigation(page)
        assert page.get_by_placeholder("Ask about this window").count() == 0
        sign_in_button.click()
        page.wait_for_url(f"{dashboard.provider}/oauth2/authorize?*")  # the provider's own form
        page.locator("input[name='sub']").fill(sub)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{dashboard.url}/**")
        settle(page)
        return page

    yield signed_in_page
    for context in contexts:
        context.close()


def identity(page: Page) -> str:
    return page.locator("[data-testid='stSidebar']").get_by_text("Signed in as").inner_text()


def navigation(page: Page) -> list[str]:
    """The page titles in the sidebar's navigation (each link's text ends with its title, after the icon's name)."""
    return [link.inner_text().split("\n")[-1].strip() for link in page.locator("[data-testid='stSidebarNav'] a").all()]


def ask(page: Page, dashboard: Dashboard, question: str, turns: list[dict]) -> None:
    """Ask the chat; the model's answer proposes what `turns` say."""
    dashboard.model.script = list(turns)
    page.get_by_placeholder("Ask about this window").fill(question)
    page.keyboard.press("Enter")
    page.get_by_text("Proposed: create_silence").wait_for()
    settle(page)


def no_exception(page: Page) -> None:
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


class Wire:
    """The viewer's own Streamlit connection, through Playwright: records the button ids the
    server sent and, once `forge` is set, swaps one button's id for another in what the browser
    sends: a click on Dismiss arrives at the server as a click on Confirm."""

    def __init__(self) -> None:
        self.buttons: dict[str, tuple[str, str]] = {}  # key -> (element id, active script hash)
        self.forge: tuple[str, str] | None = None
        self.forged = 0
        self.runs_finished = 0

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_browser(message: str | bytes) -> None:
            self._from_server(message)
            ws.send(message)

        ws.on_message(lambda message: server.send(self._from_browser(message)))
        server.on_message(to_browser)

    def _from_server(self, message: str | bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(message if isinstance(message, bytes) else message.encode())
        if msg.WhichOneof("type") == "script_finished":
            self.runs_finished += 1
        elif msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "button":
            button = msg.delta.new_element.button
            self.buttons[button.id.rsplit("-", 1)[-1]] = (button.id, msg.metadata.active_script_hash)

    def _from_browser(self, message: str | bytes) -> str | bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if self.forge is None or isinstance(message, str):
            return message
        msg = BackMsg()
        msg.ParseFromString(message)
        if msg.WhichOneof("type") != "rerun_script":
            return message
        for widget in msg.rerun_script.widget_states.widgets:
            if widget.id == self.forge[0]:
                widget.id = self.forge[1]
                self.forged += 1
        return msg.SerializeToString()

    def button_id(self, key: str, like: str) -> str:
        """The id Streamlit gives the button `key` in the run that drew `like`, checked by
        computing `like`'s own id the same way."""
        from streamlit.elements.lib.utils import _compute_element_id

        seen, script_hash = self.buttons[like]
        assert _compute_element_id("button", like, active_script_hash=script_hash) == seen
        return _compute_element_id("button", key, active_script_hash=script_hash)


def test_a_viewer_reads_and_chats_but_cannot_confirm(sign_in, dashboard):
    wire = Wire()
    page = sign_in("vera", wire.route)
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert "Signed in as vera@example.com · viewer" in identity(page)
    shown = navigation(page)
    assert "Overview" in shown and "Alerts" in shown
    assert "Insights" not in shown and "Prompts" not in shown

    comment = "vera wants quiet"
    ask(page, dashboard, SILENCE_QUESTION, silence_turns(comment))
    panel = page.locator("[data-testid='stChatMessage']").last
    assert "vera@example.com is a viewer: only a responder or above may confirm" in panel.inner_text()
    assert page.locator(".st-key-confirm_1_0").count() == 0
    assert panel.get_by_role("button", name="Confirm").count() == 0
    proposed = json.loads(panel.locator("[data-testid='stCode'] code").first.inner_text())
    assert proposed["comment"] == comment

    # A forged Confirm through the viewer's own session: the browser's click on Dismiss reaches the
    # server as a click on Confirm (the id Streamlit would give it). Nothing runs, nothing is dismissed.
    wire.forge = (wire.buttons["dismiss_1_0"][0], wire.button_id("confirm_1_0", like="dismiss_1_0"))
    before = wire.runs_finished
    panel.get_by_role("button", name="Dismiss").click()
    deadline = time.monotonic() + 30
    while wire.runs_finished == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    settle(page)
    assert wire.forged == 1 and wire.runs_finished > before
    assert page.get_by_text("Proposed: create_silence").count() == 1  # not dismissed: the click was rewritten
    assert dashboard.silences(comment) == []

    # The same action called on the service with the viewer's Actor (the same claims, the same
    # AccessSettings as the dashboard's) is refused, and the refusal is audited with the viewer's name.
    actor = signed_in({**USERS["vera"], "sub": "vera"}, dashboard.settings.access)
    assert actor == Actor("vera@example.com", Role.VIEWER, Kind.SIGNED_IN)
    runtime = build_runtime(dashboard.settings, actor=actor)
    with pytest.raises(PermissionDenied, match="vera@example.com is a viewer"):
        execute(Proposal("create_silence", proposed), ToolCall(runtime, request_id="forged-by-vera"))
    assert dashboard.silences(comment) == []
    [refused] = [
        r for r in dashboard.store().audit_rows() if r["user"] == "vera@example.com" and r["action"].startswith("confirmed:")
    ]
    assert refused["request_id"] == "forged-by-vera" and refused["action"] == "confirmed:create_silence"
    assert refused["outcome"].startswith("error: vera@example.com is a viewer")

    # A page left out of the navigation cannot be reached by its address either.
    page.goto(f"{dashboard.url}/prompts")
    settle(page)
    assert page.get_by_role("button", name="Save as new version").count() == 0
    no_exception(page)


def test_a_responder_confirms_a_silence_in_alertmanager_as_themselves(sign_in, dashboard):
    page = sign_in("rex")
    assert "Signed in as rex@example.com · responder" in identity(page)
    assert "Prompts" not in navigation(page)
    comment = "rex: recommendation rollback in progress"
    ask(page, dashboard, SILENCE_QUESTION, silence_turns(comment))
    assert dashboard.silences(comment) == []  # proposed, not done
    page.locator(".st-key-confirm_1_0").get_by_role("button", name="Confirm").click()
    page.get_by_text("created for 30 min").wait_for()
    settle(page)
    no_exception(page)

    [silence] = dashboard.silences(comment)
    assert silence["createdBy"] == "rex@example.com"
    assert silence["status"]["state"] == "active"
    assert [(m["name"], m["value"]) for m in silence["matchers"]] == [("alertname", "KubePodCrashLooping")]
    # The audit row of this confirmation (the answer's request id, shown under it) names who confirmed.
    request_id = re.search(r"· request (\w+)", page.locator("[data-testid='stChatMessage']").last.inner_text())
    assert request_id is not None
    audit = [r for r in dashboard.store().audit_rows() if r["request_id"] == request_id[1]]
    assert [(r["action"], r["outcome"], r["user"]) for r in audit if r["action"].startswith("confirmed:")] == [
        ("confirmed:create_silence", "ok", "rex@example.com")
    ]


def test_an_admin_edits_a_prompt_and_is_its_author(sign_in, dashboard):
    page = sign_in("ada")
    assert "Signed in as ada@example.com · admin" in identity(page)
    assert {"Insights", "Prompts"} <= set(navigation(page))
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Prompts").click()
    note = page.get_by_label("What changed")
    note.wait_for()
    page.get_by_role("button", name="Save as new version").wait_for()
    settle(page)
    main = page.locator("[data-testid='stMain']")
    assert main.get_by_text("Saved as ada@example.com.").count() == 1
    # Who saves is the signed-in user, not something typed: the only text box is the change note.
    assert main.locator("[data-testid='stTextInput']").count() == 1
    assert main.get_by_label(re.compile("author|name|user", re.IGNORECASE)).count() == 0

    store = dashboard.store()
    name = store.prompt_names()[0]  # the one the page opens on
    before = store.prompt_versions(name)
    text = page.locator("[data-testid='stTextArea'] textarea")
    text.fill(text.input_value() + "\nAlways name the runbook section you used.")
    text.press("Control+Enter")
    page.get_by_text("Diff against the current version").wait_for()
    note.fill("cite runbook sections")
    note.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_text(f"v{before[-1]['version'] + 1} by ada@example.com").first.wait_for()
    settle(page)
    no_exception(page)

    after = store.prompt_versions(name)
    assert len(after) == len(before) + 1
    assert (after[-1]["author"], after[-1]["note"]) == ("ada@example.com", "cite runbook sections")
    assert after[-1]["text"].endswith("Always name the runbook section you used.")


def test_a_user_on_no_role_list_sees_no_dashboard(sign_in, dashboard):
    page = sign_in("noel")
    page.get_by_text("noel@example.com is signed in but has no role on this dashboard").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 1
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.get_by_placeholder("Ask about this window").count() == 0
    assert page.locator(".js-plotly-plot").count() == 0
    no_exception(page)
