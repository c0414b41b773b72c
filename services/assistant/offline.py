"""The offline answerer: a deterministic answer composed from the context's facts and runbooks.

It needs no model, cites the same numbered sources a model would, answers in the question's
language (Korean or English) and says so when the question is not one it can answer.
"""

from __future__ import annotations

import re

from services.assistant.actions import Action
from services.assistant.context import (
    PANEL_ERRORS,
    PANEL_FIRING,
    PANEL_FLAPPING,
    PANEL_INCIDENTS,
    PANEL_LATENCY,
    Context,
    Source,
)
from services.mesh.incidents import format_peak
from services.safety.markup import escape_markdown
from services.timewindow import local_text

_HANGUL = re.compile(r"[\uac00-\ud7a3]")

TEXT = {
    "en": {
        "label": "_Offline answer (no model configured or reachable), from the dashboard and runbooks._",
        "idk": "I don't know: I can only answer on-call questions about the alerts, latency and errors on this "
        "dashboard, grounded in its data and the team's runbooks.",
        "window": "Window {start} – {end} ({tz}).",
        "firing": "**Firing now:** {items}",
        "firing_none": "**Firing now:** nothing is firing at the end of the window",
        "firing_unknown": "**Firing now: unknown.** The alerts could not be read (see below)",
        "incidents_unknown": "**Incidents: unknown.** The mesh series could not be read",
        "since": "since {time}",
        "on": "{alert} ({severity}) on {where}",
        "flapping": "**Flapping:** {items}",
        "transitions": "{n} state changes",
        "likely_false": "**Likely false:** {items}",
        "short": "{n} short firings",
        "p99": "**Worst p99:** {items}",
        "errors": "**Worst 5xx ratio:** {items}",
        "incidents": "**Incidents:** {items}",
        "incident": "{kind} on {service} {start}–{end}, peak {peak} at {at}",
        "no_incidents": "**Incidents:** no latency or 5xx excursion in the window",
        "steps": "**Next steps** ({title}):",
        "no_runbook": "No runbook matched; check the Alerts and Mesh pages for the services above.",
        "missing": "Some data could not be read: {items}",
    },
    "ko": {
        "label": "_오프라인 답변 (모델 미설정 또는 연결 불가): 대시보드 데이터와 런북으로 작성했습니다._",
        "idk": "모르겠습니다: 이 대시보드의 알림, 지연, 에러에 관한 온콜 질문에만 대시보드 데이터와 팀 런북을 근거로 "
        "답할 수 있습니다.",
        "window": "기간 {start} – {end} ({tz}).",
        "firing": "**현재 발생 중:** {items}",
        "firing_none": "**현재 발생 중:** 기간 끝 시점에 발생 중인 알림이 없습니다",
        "firing_unknown": "**현재 발생 중: 알 수 없음.** 알림을 읽지 못했습니다 (발생 중인 알림이 없다는 뜻이 아닙니다)",
        "incidents_unknown": "**이상 구간: 알 수 없음.** 메시 시계열을 읽지 못했습니다",
        "since": "{time}부터",
        "on": "{where}의 {alert} ({severity})",
        "flapping": "**플래핑:** {items}",
        "transitions": "상태 변화 {n}회",
        "likely_false": "**오탐 의심:** {items}",
        "short": "짧은 발생 {n}회",
        "p99": "**p99 지연 상위:** {items}",
        "errors": "**5xx 비율 상위:** {items}",
        "incidents": "**이상 구간:** {items}",
        "incident": "{service} {kind} {start}–{end}, 최고 {peak} ({at})",
        "no_incidents": "**이상 구간:** 기간 내 지연/5xx 급증 없음",
        "steps": "**다음 단계** ({title}):",
        "no_runbook": "일치하는 런북이 없습니다. 위 서비스들을 Alerts, Mesh 페이지에서 확인하세요.",
        "missing": "일부 데이터를 읽지 못했습니다: {items}",
    },
}


def language(text: str) -> str:
    return "ko" if _HANGUL.search(text) else "en"


def _cite(ctx: Context, panel: str) -> str:
    source = ctx.panel(panel)
    return f" [{source.n}]" if source else ""


def runbook_steps(source: Source, limit: int = 3) -> list[str]:
    """The first actionable lines of a runbook passage: its list items, or its first sentence."""
    body = source.text.split("\n\n", 1)[-1]
    items: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")) and not line.startswith(("   ", "\t")):
            items.append(stripped[2:].strip())
        elif items and stripped and line.startswith(" "):
            items[-1] += " " + stripped  # a wrapped line or a sub-item of the last item
    if items:
        return items[:limit]
    sentence = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
    return [sentence[:300]] if sentence else []


def answer(ctx: Context) -> str:
    t = TEXT[language(ctx.question)]
    if ctx.action == Action.UNKNOWN:
        return f"{t['idk']}\n\n{t['label']}"
    f, tz = ctx.facts, ctx.tz
    lines = [t["window"].format(start=local_text(ctx.window.start, tz), end=local_text(ctx.window.end, tz), tz=tz.key)]
    show_alerts = ctx.action in (Action.SUMMARY, Action.ALERTS)
    if show_alerts or f.firing:
        if "alerts" in f.unknown:
            lines.append(t["firing_unknown"] + _cite(ctx, PANEL_FIRING))
        elif f.firing:
            items = "; ".join(
                t["on"].format(alert=a["alertname"], severity=a["severity"], where=a["service"] or a["namespace"])
                + " "
                + t["since"].format(time=local_text(a["since"], tz))
                for a in f.firing
            )
            lines.append(t["firing"].format(items=items) + _cite(ctx, PANEL_FIRING))
        else:
            lines.append(t["firing_none"] + _cite(ctx, PANEL_FIRING))
    if show_alerts and f.flapping:
        items = "; ".join(
            t["on"].format(alert=a["alertname"], severity=t["transitions"].format(n=a["transitions"]), where=a["service"])
            for a in f.flapping
        )
        lines.append(t["flapping"].format(items=items) + _cite(ctx, PANEL_FLAPPING))
    if show_alerts and f.likely_false:
        items = "; ".join(
            t["on"].format(alert=a["alertname"], severity=t["short"].format(n=a["count"]), where=a["service"])
            for a in f.likely_false
        )
        lines.append(t["likely_false"].format(items=items) + _cite(ctx, PANEL_FLAPPING))
    if ctx.action in (Action.SUMMARY, Action.LATENCY) and f.worst_p99:
        items = "; ".join(f"{r['service']} {r['value']:,.0f} ms" for r in f.worst_p99)
        lines.append(t["p99"].format(items=items) + _cite(ctx, PANEL_LATENCY))
    if ctx.action in (Action.SUMMARY, Action.ERRORS) and f.worst_errors:
        items = "; ".join(f"{r['service']} {r['value']:.2%}" for r in f.worst_errors)
        lines.append(t["errors"].format(items=items) + _cite(ctx, PANEL_ERRORS))
    if ctx.action in (Action.SUMMARY, Action.LATENCY, Action.ERRORS):
        kinds = {Action.SUMMARY: ("latency", "5xx"), Action.LATENCY: ("latency",), Action.ERRORS: ("5xx",)}[ctx.action]
        found = [i for i in f.incidents if i["kind"] in kinds]
        if "mesh" in f.unknown:
            lines.append(t["incidents_unknown"])
        elif found:
            items = "; ".join(
                t["incident"].format(
                    kind=i["kind"],
                    service=i["service"],
                    start=local_text(i["start"], tz)[11:],
                    end=local_text(i["end"], tz)[11:],
                    peak=format_peak(i["kind"], i["peak"]),
                    at=local_text(i["peak_time"], tz)[11:],
                )
                for i in found
            )
            lines.append(t["incidents"].format(items=items) + _cite(ctx, PANEL_INCIDENTS))
        else:
            lines.append(t["no_incidents"] + _cite(ctx, PANEL_INCIDENTS))
    if f.errors:
        lines.append(t["missing"].format(items="; ".join(escape_markdown(e) for e in f.errors)))
    runbooks = ctx.runbooks()
    if runbooks:
        best = runbooks[0]
        title = f"{best.source}{' / ' + best.section if best.section else ''}"
        lines.append(t["steps"].format(title=title))
        lines.extend(f"- {step} [{best.n}]" for step in runbook_steps(best))
    else:
        lines.append(t["no_runbook"])
    return "\n\n".join(lines[:1] + ["\n".join(lines[1:])]) + f"\n\n{t['label']}"


def cited(text: str, sources: list[Source]) -> list[Source]:
    """The sources an answer's [n] markers refer to, in order."""
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)})
    by_n = {s.n: s for s in sources}
    return [by_n[n] for n in numbers if n in by_n]
