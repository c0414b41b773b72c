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
    PANEL_INVESTIGATION,
    PANEL_LATENCY,
    Context,
    Source,
)
from services.mesh.graph import PROXY_FLAGS
from services.mesh.incidents import format_peak
from services.mesh.investigate import Investigation
from services.safety.markup import escape_markdown
from services.timewindow import local_text, parse_time

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
        "slow_chain": "**{service} is slow because it waits for {chain}: {cause}'s own p99 rose from {base} to {peak}{times} "
        "at {at}**",
        "slow_self": "**{service} is slow on its own: its p99 rose from {base} to {peak}{times} at {at}, and none of its "
        "dependencies slowed down with it**",
        "pool": "**{service} fails because {caller}'s sidecar refused {share} of its calls to {dest} with 503 {flags} from "
        "{at}: {why}. Those requests never reached {dest}; the cause is {subject}**",
        "errors_chain": "**{service} answers errors because {chain} failed: {cause} itself answered {peak} 5xx (baseline "
        "{base}) from {at}**",
        "errors_self": "**{service} itself answered {peak} 5xx (baseline {base}) from {at}, {kind}; its dependencies did "
        "not fail with it**",
        "kind_app": "application errors (flag -)",
        "kind_sidecar": "errors its own sidecar flagged {flags} (the application refused or reset connections)",
        "healthy": "**{service} looks healthy in this window**: p99 {p99}, 5xx {errors} of {rps} req/s, no latency or error "
        "excursion",
        "absent": "**{service} had no traffic in this window**, so there is nothing to investigate; check the name or pick "
        "another window",
        "service_alerts": "Alerts on {service}: {items}",
        "no_service_alerts": "No alerts on {service} in this window.",
        "confidence": "Confidence: {level}.",
        "subject_connection_pool": "the connection pool from {caller} to {dest} (circuit breaker on {caller}'s sidecar)",
        "subject_unreachable": "{dest} as {caller} reaches it (connections fail or no endpoint is healthy)",
        "subject_routing": "{caller}'s routes to {dest}",
        "subject_caller": "{caller}, which closed its connections",
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
        "slow_chain": "**{service}가 느린 이유는 {chain}를 기다리기 때문입니다: {cause} 자체의 p99가 {at}부터 "
        "{base}에서 {peak}로 올랐습니다{times}**",
        "slow_self": "**{service} 자체가 느려졌습니다: p99가 {at}부터 {base}에서 {peak}로 올랐고{times}, "
        "의존 서비스는 함께 느려지지 않았습니다**",
        "pool": "**{service} 에러의 원인은 {caller} 사이드카가 {at}부터 {dest} 호출의 {share}를 503 {flags}로 "
        "거절한 것입니다: {why}. 이 요청들은 {dest}에 도달하지 않았습니다. 원인: {subject}**",
        "errors_chain": "**{service}의 에러는 {chain}의 실패 때문입니다: {cause}가 {at}부터 5xx {peak}(평소 {base})를 "
        "응답했습니다**",
        "errors_self": "**{service} 자체가 {at}부터 5xx {peak}(평소 {base})를 응답했습니다: {kind}. 의존 서비스는 함께 실패하지 "
        "않았습니다**",
        "kind_app": "애플리케이션 에러(flag -)",
        "kind_sidecar": "자체 사이드카가 {flags}로 표시한 에러 (애플리케이션이 연결을 거부하거나 끊음)",
        "healthy": "**{service}는 이 기간 동안 정상으로 보입니다**: p99 {p99}, 5xx {errors} ({rps} req/s), 지연/에러 급증 없음",
        "absent": "**{service}는 이 기간에 트래픽이 없습니다**. 이름을 확인하거나 다른 기간을 선택하세요",
        "service_alerts": "{service} 알림: {items}",
        "no_service_alerts": "이 기간에 {service} 알림은 없습니다.",
        "confidence": "신뢰도: {level}.",
        "subject_connection_pool": "{caller}에서 {dest}로 가는 커넥션 풀 ({caller} 사이드카의 서킷 브레이커)",
        "subject_unreachable": "{caller}에서 본 {dest} (연결 실패 또는 정상 엔드포인트 없음)",
        "subject_routing": "{caller}의 {dest} 라우팅 설정",
        "subject_caller": "연결을 끊은 {caller}",
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


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:,.0f} ms"


def _conclusion(found: Investigation, t: dict[str, str], ctx: Context) -> list[str]:
    """The investigation's conclusion first, with its evidence and the source to cite."""
    cite = _cite(ctx, PANEL_INVESTIGATION)
    name = found.service
    if not found.found:
        return [t["absent"].format(service=name) + cite]
    if found.healthy:
        p99, errors, rps = (found.summary.get(k, float("nan")) for k in ("p99", "ratio_5xx", "rps"))
        return [t["healthy"].format(service=name, p99=_ms(p99), errors=f"{errors:.2%}", rps=f"{rps:,.1f}") + cite]
    cause = found.likely_cause
    assert cause is not None
    at = local_text(cause.since, ctx.tz)[11:] if cause.since else "?"
    hops = found.path[1:]
    if cause.kind == "latency":
        times = f" ({cause.ratio:.0f}x)" if cause.ratio == cause.ratio else ""
        base, peak = _ms(cause.before), _ms(cause.peak)
        if hops:
            chain = _chain(hops, ctx)
            line = t["slow_chain"].format(
                service=name, chain=chain, cause=cause.service, base=base, peak=peak, times=times, at=at
            )
        else:
            line = t["slow_self"].format(service=name, base=base, peak=peak, times=times, at=at)
    elif cause.kind in ("connection_pool", "unreachable", "routing", "caller"):
        flags = ",".join(cause.response_flags)
        why = "; ".join(PROXY_FLAGS.get(flag, flag) for flag in cause.response_flags[:2])
        subject = t[f"subject_{cause.kind}"].format(caller=cause.caller, dest=cause.service)
        line = t["pool"].format(
            service=name,
            caller=cause.caller,
            share=f"{cause.ratio:.0%}",
            dest=cause.service,
            flags=flags,
            at=at,
            why=why,
            subject=subject,
        )
    elif hops:
        line = t["errors_chain"].format(
            service=name,
            chain=_chain(hops, ctx),
            cause=cause.service,
            peak=f"{cause.peak:.1%}",
            base=f"{cause.before:.2%}",
            at=at,
        )
    else:
        sidecar = [f for f in cause.response_flags if f != "-"]
        kind = t["kind_sidecar"].format(flags=",".join(sidecar)) if sidecar and cause.response_flags[0] != "-" else t["kind_app"]
        line = t["errors_self"].format(service=name, peak=f"{cause.peak:.1%}", base=f"{cause.before:.2%}", at=at, kind=kind)
    lines = [line + cite, t["confidence"].format(level=found.confidence)]
    return lines


def _chain(hops: list[str], ctx: Context) -> str:
    joiner = ", which waits for " if language(ctx.question) == "en" else " → "
    return joiner.join(hops)


def _service_alerts(found: Investigation, t: dict[str, str], ctx: Context) -> list[str]:
    if not found.found:
        return []
    if not found.alerts:
        return [t["no_service_alerts"].format(service=found.service)]

    def when(moment: str) -> str:
        return local_text(parse_time(moment), ctx.tz)[11:]

    items = "; ".join(
        f"{a['alertname']} ({a['severity']}) " + (t["since"].format(time=when(a["start"])) if a["ongoing"] else when(a["start"]))
        for a in found.alerts
    )
    return [t["service_alerts"].format(service=found.service, items=items) + _cite(ctx, PANEL_INVESTIGATION)]


def answer(ctx: Context) -> str:
    t = TEXT[language(ctx.question)]
    if ctx.action == Action.UNKNOWN:
        return f"{t['idk']}\n\n{t['label']}"
    f, tz = ctx.facts, ctx.tz
    lead = _conclusion(f.investigation, t, ctx) + _service_alerts(f.investigation, t, ctx) if f.investigation else []
    lines = [t["window"].format(start=local_text(ctx.window.start, tz), end=local_text(ctx.window.end, tz), tz=tz.key)]
    if lead:  # the question names a service: its investigation is the answer, the window's facts follow
        lines = ["\n".join(lead)] + lines
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
    runbooks = ctx.runbooks() if not (f.investigation and f.investigation.healthy) else []  # nothing to fix
    if runbooks:
        best = runbooks[0]
        title = f"{best.source}{' / ' + best.section if best.section else ''}"
        lines.append(t["steps"].format(title=title))
        lines.extend(f"- {step} [{best.n}]" for step in runbook_steps(best))
    elif not (f.investigation and f.investigation.healthy):
        lines.append(t["no_runbook"])
    return "\n\n".join(lines[:1] + ["\n".join(lines[1:])]) + f"\n\n{t['label']}"


def cited(text: str, sources: list[Source]) -> list[Source]:
    """The sources an answer's [n] markers refer to, in order."""
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)})
    by_n = {s.n: s for s in sources}
    return [by_n[n] for n in numbers if n in by_n]
