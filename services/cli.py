"""The `oncall` command line: the dashboard's overview in a terminal, and demo data export."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.auth import operator
from services.config import ConfigError, Settings, load_settings
from services.i18n import Language
from services.knowledge.documents import KnowledgeError
from services.llm.client import ModelError
from services.log import setup_logging
from services.overview import status_report
from services.reports.export import ReportError
from services.runtime import Runtime, build_runtime, open_store
from services.sources.base import Filters, SourceError
from services.sources.factory import make_source, now_for
from services.storage import StorageError
from services.timewindow import Window, WindowError, parse_time, utcnow, window_from_args

if TYPE_CHECKING:
    from services.knowledge.index import KnowledgeIndex


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oncall", description="On-call dashboard from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    status = sub.add_parser("status", help="overview of a window: firing, flapping and noisy alerts, worst p99 and 5xx")
    status.add_argument("--from", dest="start", metavar="ISO", help="window start (default: one hour before --to)")
    status.add_argument("--to", dest="end", metavar="ISO", help="window end (default: now)")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.add_argument("--prometheus-url", help="overrides PROMETHEUS_URL")
    status.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    status.add_argument("--namespace", action="append", default=[], help="only this namespace (repeatable)")

    demo = sub.add_parser("demo", help="the bundled demo scenario")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    export = demo_sub.add_parser("export", help="write the demo scenario as OpenMetrics for promtool backfill")
    export.add_argument("--end", required=True, metavar="ISO", help="the scenario's 'now'")
    export.add_argument("--out", required=True, type=Path, help="file to write")
    export.add_argument("--hours", type=float, default=24.0, help="hours of history to write (default 24)")
    ask = sub.add_parser("ask", help="ask the assistant about a window (offline unless a model is configured)")
    ask.add_argument("question")
    ask.add_argument("--from", dest="start", metavar="ISO", help="window start (default: from the question)")
    ask.add_argument("--to", dest="end", metavar="ISO", help="window end (default: from the question)")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--prometheus-url", help="overrides PROMETHEUS_URL")

    rep = sub.add_parser("report", help="a shift summary of a window as Markdown, HTML or PDF")
    rep.add_argument("--from", dest="start", metavar="ISO", help="window start (default: 8 hours before --to)")
    rep.add_argument("--to", dest="end", metavar="ISO", help="window end (default: now)")
    rep.add_argument("--format", choices=["md", "html", "pdf"], required=True)
    rep.add_argument("--out", type=Path, required=True, help="file to write")
    rep.add_argument("--notes", type=Path, help="handover notes file ('- [ ] item' lines become open items)")
    rep.add_argument("--prometheus-url", help="overrides PROMETHEUS_URL")
    rep.add_argument("--language", choices=["en", "ko"], default="en", help="the summary's language (default en)")
    rep.add_argument("--tz", default="UTC", help="time zone of the times shown, e.g. Asia/Seoul (default UTC)")

    ev = sub.add_parser("eval", help="score the router, retrieval and answers on the labelled sets")
    ev.add_argument("--sets", type=Path, help="folder with router*.jsonl, retrieval.jsonl, answers.jsonl (default: data/eval)")
    ev.add_argument("--json", action="store_true", help="print JSON")
    ev.add_argument("--export-feedback", type=Path, metavar="FILE", help="write answers rated Not helpful as new cases, and stop")

    data = sub.add_parser("data", help="what the dashboard stores: retention and deletion")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    purge = data_sub.add_parser("purge", help="delete answers, feedback, audit rows and reports older than N days")
    purge.add_argument("--older-than-days", type=int, metavar="N", help="default: ONCALL_RETENTION_DAYS")
    forget = data_sub.add_parser("delete", help="delete one question (answer, feedback, audit) or one report")
    target = forget.add_mutually_exclusive_group(required=True)
    target.add_argument("--request-id", help="the request id shown under an answer")
    target.add_argument("--report", type=int, metavar="ID", help="a shift summary's number")

    prompts = sub.add_parser("prompts", help="the assistant's prompts and their versions")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", required=True)
    prompts_sub.add_parser("list", help="every prompt with its current version")
    show = prompts_sub.add_parser("show", help="a prompt's text")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="an older version")
    setp = prompts_sub.add_parser("set", help="save a new version from a file (- for standard input)")
    setp.add_argument("name")
    setp.add_argument("file", help="text file, or - for standard input")
    setp.add_argument("--author", required=True)
    setp.add_argument("--note", default="")
    back = prompts_sub.add_parser("rollback", help="make an older version current again (as a new version)")
    back.add_argument("name")
    back.add_argument("version", type=int)
    back.add_argument("--author", required=True)

    inv = sub.add_parser("investigate", help="a service's symptoms and the likely cause down its dependencies")
    inv.add_argument("service")
    inv.add_argument("--namespace", help="the service's namespace (when the name is not unique)")
    inv.add_argument("--cluster", help="the service's cluster")
    inv.add_argument("--from", dest="start", metavar="ISO", help="window start (default: one hour before --to)")
    inv.add_argument("--to", dest="end", metavar="ISO", help="window end (default: now)")
    inv.add_argument("--json", action="store_true", help="print JSON")
    inv.add_argument("--prometheus-url", help="overrides PROMETHEUS_URL")

    tri = sub.add_parser("triage", help="group a log file's error lines into events, each with a fix from the runbooks")
    tri.add_argument("file", type=Path, help="a log file (- for standard input)")
    tri.add_argument("--all-lines", action="store_true", help="group every line, not only the errors")
    tri.add_argument("--json", action="store_true", help="print JSON")
    tri.add_argument(
        "--post-slack", action="store_true", help="post each group to SLACK_WEBHOOK_URL (this flag is the confirmation)"
    )

    route = sub.add_parser("route", help="what a question asks about and for which window (JSON)")
    route.add_argument("text", nargs="?", help="the question")
    route.add_argument("--now", metavar="ISO", help="the time the question is asked (default: now)")
    route.add_argument("--batch", type=Path, metavar="FILE", help='JSON lines {"q", "now"} in, JSON lines out, same order')

    serve = sub.add_parser("serve", help="start the dashboard (Streamlit) from the installed package")
    serve.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    serve.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")

    health = sub.add_parser("health", help="readiness: database, metrics, Alertmanager and runbook index (exit 1 if any fails)")
    health.add_argument("--json", action="store_true", help="print JSON")

    worker = sub.add_parser("worker", help="run queued shift summaries, each claimed by exactly one worker")
    worker.add_argument("--once", action="store_true", help="run the jobs queued now, then exit")
    worker.add_argument("--poll", type=float, default=2.0, metavar="SECONDS", help="wait between empty polls (default 2)")

    kb = sub.add_parser("kb", help="the runbook knowledge index")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    index_help = "index folder (default: ONCALL_INDEX_DIR or var/kb)"
    build = kb_sub.add_parser("build", help="build or update the index (only changed files are re-embedded)")
    build.add_argument("roots", nargs="*", metavar="ROOT", help="runbook folders (default: bundled + ONCALL_RUNBOOK_DIRS)")
    build.add_argument(
        "--internal", action="append", default=[], metavar="ROOT", help="a folder the chat may not quote (repeatable)"
    )
    build.add_argument("--index", type=Path, help=index_help)
    search = kb_sub.add_parser("search", help="search the index")
    search.add_argument("query", nargs="?", help="the question or alert payload")
    search.add_argument("--batch", type=Path, metavar="FILE", help="one query per line in, one JSON array per line out")
    search.add_argument("-k", type=int, default=5, help="results (default 5)")
    search.add_argument("--index", type=Path, help=index_help)
    search.add_argument("--json", action="store_true", help="print JSON")
    stats = kb_sub.add_parser("stats", help="what the index holds")
    stats.add_argument("--index", type=Path, help=index_help)
    stats.add_argument("--json", action="store_true", help="print JSON")
    check = kb_sub.add_parser("check", help="document quality report")
    check.add_argument("roots", nargs="*", metavar="ROOT", help="runbook folders (default: bundled + ONCALL_RUNBOOK_DIRS)")
    check.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _progress(done: int, total: int, what: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} chunks", end=end, file=sys.stderr, flush=True)


def _runtime(settings: Settings, with_model: bool = True) -> Runtime:
    """The CLI's dependencies: the configured source, database, model and runbook index."""
    from services.knowledge import indexing

    if with_model:
        settings.require_model()  # a configured but unusable model is an error here, not a silent fallback

    def index() -> KnowledgeIndex:
        return indexing.load_or_build_index(settings.knowledge, store=open_store(settings)[0])

    return build_runtime(settings, index_loader=index, actor=operator())


def _kb(args: argparse.Namespace, settings: Settings) -> int:
    from services.knowledge import indexing

    knowledge = settings.knowledge
    if args.kb_command == "build":
        index, report = indexing.build_index(
            knowledge, indexing.roots_from(knowledge, args.roots, args.internal), args.index, progress=_progress
        )
        print(
            f"indexed {report.documents} documents in {report.chunks} chunks into {index.directory} "
            f"({report.embedded_documents} embedded, {report.reused_documents} unchanged, "
            f"{report.removed_documents} removed) in {report.seconds:.1f} s with {index.manifest['embedder']}"
        )
        if report.skipped:
            print(f"skipped {len(report.skipped)} files:")
            for s in report.skipped:
                print(f"  {s.root}/{s.path}: {s.reason}")
        if args.index is None:  # the configured index: the dashboard's replicas take it from the database
            store, problem = open_store(settings)
            if store is None:
                print(f"oncall: warning: not published to the other replicas: {problem}", file=sys.stderr)
                return 3
            print(f"published as {indexing.shared.publish(store, index, operator().name)} for every replica")
        return 0
    if args.kb_command == "check":
        documents, findings, skipped = indexing.check_runbooks(indexing.roots_from(knowledge, args.roots))
        if args.json:
            print(
                json.dumps(
                    {
                        "documents": len(documents),
                        "findings": [f.to_dict() for f in findings],
                        "skipped": [s.__dict__ for s in skipped],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return 0
        print(f"{len(documents)} runbooks, {len(findings)} findings, {len(skipped)} files skipped")
        for f in findings:
            print(f"  {f.source}: {f.problem} -> {f.suggestion}")
        for s in skipped:
            print(f"  skipped {s.path}: {s.reason}")
        return 0
    index = indexing.load_index(knowledge, args.index)
    if args.kb_command == "stats":
        stats = index.stats()
        if args.json:
            print(json.dumps(stats, ensure_ascii=False, indent=2))
        else:
            print(
                f"{stats['documents']} documents, {stats['chunks']} chunks ({stats['internal_chunks']} internal), "
                f"embedder {stats['embedder']} ({stats['dim']} dims), built {stats['built_at']}, "
                f"{stats['bytes'] / 1e6:.1f} MB at {stats['index']}"
            )
            for root in stats["roots"]:
                print(f"  root {root['path']}{' (internal)' if root['internal'] else ''}")
            print(f"  {len(stats['skipped'])} files skipped")
        return 0
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            hits = index.search(line, args.k) if line.strip() else []
            print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False))
        return 0
    if not args.query:
        raise WindowError("give a QUERY or --batch FILE")
    hits = index.search(args.query, args.k)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
    else:
        for n, h in enumerate(hits, 1):
            print(f"{n}. {h.source}  [{h.section or h.title}]  score {h.score:.3f}")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from services.assistant.answers import ask

    runtime = _runtime(settings.with_prometheus(args.prometheus_url))
    now = runtime.now()
    window = window_from_args(args.start, args.end, now) if (args.start or args.end) else None
    answer = ask(args.question, now, runtime, window=window)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return _partial(answer.unavailable, answer.storage_problem)
    print(answer.text)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"  [{c.n}] {c.source}{' / ' + c.section if c.section else ''}")
    cost = f", ~${answer.cost_usd:.4f}" if answer.cost_usd is not None else ""
    print(
        f"\n({answer.mode}, {answer.prompt_version}, {answer.tokens_in}+{answer.tokens_out} tokens{cost}, "
        f"request {answer.request_id})"
    )
    return _partial(answer.unavailable, answer.storage_problem)


def _partial(unavailable: list[str], storage_problem: str | None) -> int:
    """The exit status of a command that answered: 1 if data was unknown, 3 if the result was not stored."""
    for problem in unavailable:
        print(f"oncall: warning: unknown, could not be read: {problem}", file=sys.stderr)
    if storage_problem:
        print(f"oncall: warning: {storage_problem}", file=sys.stderr)
    return 1 if unavailable else 3 if storage_problem else 0


def _health(args: argparse.Namespace, settings: Settings) -> int:
    from services.health import checks

    found = checks(settings)
    if args.json:
        print(json.dumps([c.to_dict() for c in found], ensure_ascii=False, indent=2))
    else:
        for check in found:
            print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    return 0 if all(c.ok for c in found) else 1


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--tz {name!r}: not a time zone name such as Asia/Seoul or UTC") from None


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    """Claim and run queued shift summaries until SIGTERM / Ctrl-C (or, with --once, none is queued)."""
    from services.reports import jobs

    runtime = _runtime(settings)
    if runtime.store is None:
        raise StorageError(f"the worker needs the database: {runtime.store_problem}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"oncall worker {jobs.worker_name()} on {runtime.store.shown_url}", file=sys.stderr, flush=True)
    done = jobs.work(runtime, stop, args.poll, once=args.once)
    print(f"ran {done} shift summaries")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from services.reports import export
    from services.reports.summary import build_summary

    runtime = _runtime(settings.with_prometheus(args.prometheus_url))
    now = runtime.now()
    end = parse_time(args.end) if args.end else now
    start = parse_time(args.start) if args.start else end - timedelta(hours=8)
    window = Window(start, end)
    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    summary = build_summary(runtime, window, Filters(), notes, _zone(args.tz), language=Language(args.language))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "md":
        args.out.write_text(export.to_markdown(summary), encoding="utf-8")
    elif args.format == "html":
        args.out.write_text(export.to_html(summary), encoding="utf-8")
    else:
        args.out.write_bytes(export.to_pdf(export.to_html(summary), settings.integrations.chromium))
    print(
        f"wrote the shift summary {window.to_dict()['from']} .. {window.to_dict()['to']} to {args.out} "
        f"(narrative: {summary.narrative_mode})"
    )
    for problem in summary.problems:
        print(f"oncall: warning: {problem}", file=sys.stderr)
    return 1 if summary.unknown else 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from services.assistant import evaluation
    from services.storage import Store

    if args.export_feedback:
        store = Store.open(settings.storage.db_url)
        print(f"wrote {evaluation.export_not_helpful(store, args.export_feedback)} cases to {args.export_feedback}")
        return 0
    runtime = _runtime(settings)
    result = evaluation.run(args.sets or evaluation.SETS, runtime, runtime.now())
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"router: {result.router_accuracy:.1%} exact on {result.router_cases} utterances")
    for category, c in result.router_by_category.items():
        print(f"  {category:16s} {c['right']:4d}/{c['cases']:<4d} {c['accuracy']:.0%}")
    for lang, s in result.retrieval.items():
        print(
            f"retrieval [{lang}]: R@1 {s['recall_at_1']:.2f}  R@5 {s['recall_at_5']:.2f}  MRR {s['mrr']:.2f}  "
            f"({s['cases']} questions)"
        )
    print(f"answers: {result.answer_fact_recall:.1%} of expected facts present in {result.answer_cases} answers")
    if result.judge:
        print(
            f"judge: groundedness {result.judge['groundedness']:.2f}/5, relevance "
            f"{result.judge['relevance']:.2f}/5 ({result.judge['cases']} answers)"
        )
    for failure in result.failures:
        print(f"  miss: {failure}")
    return 0


def _prompts(args: argparse.Namespace, settings: Settings) -> int:
    from services.llm.prompts import PROMPTS
    from services.storage import Store

    store = Store.open(settings.storage.db_url)
    store.seed_prompts(PROMPTS)
    if args.prompts_command == "list":
        for name in store.prompt_names():
            p = store.prompt(name) or {}
            print(f"{name:<20} v{p['version']:<4} {p['author']:<12} {p['created_at']}  {p['note']}")
        return 0
    if args.prompts_command == "show":
        shown = store.prompt(args.name, args.version)
        if shown is None:
            raise StorageError(f"no prompt {args.name}" + (f" version {args.version}" if args.version else ""))
        print(shown["text"], end="" if shown["text"].endswith("\n") else "\n")
        return 0
    if args.prompts_command == "set":
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        if not text.strip():
            raise StorageError("the new prompt text is empty")
        print(f"{args.name} v{store.set_prompt(args.name, text, args.author, args.note)}")
        return 0
    print(f"{args.name} v{store.rollback_prompt(args.name, args.version, args.author)} (= v{args.version})")
    return 0


def _data(args: argparse.Namespace, settings: Settings) -> int:
    from services.runtime import apply_retention
    from services.storage import Store

    store = Store.open(settings.storage.db_url)
    if args.data_command == "purge":
        days = args.older_than_days if args.older_than_days is not None else settings.storage.retention_days
        if days < 0:
            raise WindowError("--older-than-days must be 0 or more")
        deleted = apply_retention(store, days)
        print(f"deleted {', '.join(f'{n} {table}' for table, n in deleted.items())} older than {days} days")
        return 0
    if args.request_id:
        count = store.delete_answer(args.request_id)
    else:
        count = store.delete_report(args.report)
    if not count:
        raise StorageError("nothing stored under that id")
    print(f"deleted {count} rows")
    return 0


def _route(args: argparse.Namespace, settings: Settings) -> int:
    from services.assistant.router import route

    model = _runtime(settings).model
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found, _ = route(item["q"], parse_time(item["now"]) if item.get("now") else utcnow(), model)
                print(json.dumps(found.to_dict(), ensure_ascii=False))
        return 0
    if not args.text:
        raise WindowError("give the question TEXT or --batch FILE")
    now = parse_time(args.now) if args.now else utcnow()
    found, _ = route(args.text, now, model)
    print(json.dumps(found.to_dict(), ensure_ascii=False))
    return 0


def _fmt_minutes(minutes: float) -> str:
    return f"{minutes / 60:.1f}h" if minutes >= 90 else f"{minutes:.0f}m"


def _print_status(report: dict) -> None:
    w = report["window"]
    alerts = report["alerts"]
    print(f"Window {w['from']} .. {w['to']}   source: {report['source']}")
    print(f"Alert intervals in window: {alerts['intervals']}")
    print(f"Firing at window end ({len(alerts['firing'])}):")
    for a in alerts["firing"]:
        print(f"  {a['alertname']:<28} {a['labels'].get('severity', ''):<9} since {a['since']}  {_labels(a['labels'])}")
    if alerts["flapping"]:
        print(f"Flapping ({len(alerts['flapping'])}):")
        for a in alerts["flapping"]:
            print(f"  {a['alertname']:<28} {a['transitions']} transitions  {_labels(a['labels'])}")
    if alerts["likely_false"]:
        print(f"Likely false ({len(alerts['likely_false'])}):")
        for a in alerts["likely_false"]:
            print(f"  {a['alertname']:<28} {a['count']} short firings  {_labels(a['labels'])}")
    print("Worst p99 latency:")
    for r in report["latency"][:5]:
        print(f"  {r['cluster']}/{r['namespace']}/{r['service']:<20} {r['p99_ms']} ms")
    print("Worst 5xx ratio:")
    for r in report["errors"][:5]:
        print(f"  {r['cluster']}/{r['namespace']}/{r['service']:<20} {r['error_ratio'] * 100:.2f} %")


def _labels(labels: dict) -> str:
    keys = [k for k in ("cluster", "namespace", "service", "pod") if labels.get(k)]
    return " ".join(f"{k}={labels[k]}" for k in keys)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    sources = settings.sources.with_prometheus(args.prometheus_url)
    window = window_from_args(args.start, args.end, now_for(sources))
    filters = Filters(tuple(args.cluster), tuple(args.namespace))
    report = status_report(make_source(sources), window, filters, settings.alerts)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_status(report)
    return 0


def _investigate(args: argparse.Namespace, settings: Settings) -> int:
    from services.mesh.investigate import investigate
    from services.timewindow import auto_step

    sources = settings.sources.with_prometheus(args.prometheus_url)
    window = window_from_args(args.start, args.end, now_for(sources))
    step = auto_step(window, sources.step_seconds)
    found = investigate(make_source(sources), window, args.service, args.namespace, args.cluster, step)
    if args.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return 0 if found.found else 1
    if not found.found:
        print("; ".join(found.notes))
        return 1
    print(
        f"{found.cluster}/{found.namespace}/{found.service}, {found.window.to_dict()['from']} to {found.window.to_dict()['to']}"
    )
    if found.healthy:
        print("healthy: no latency or error excursion in this window")
    for s in found.symptoms:
        value = (
            f"{s.peak:,.0f} ms (baseline {s.baseline:,.0f} ms)"
            if s.kind == "latency"
            else f"{s.peak:.1%} (baseline {s.baseline:.2%})"
        )
        print(
            f"symptom: {s.kind} {s.start.isoformat()} to {s.end.isoformat()}, peak {value}"
            + (" seen by callers" if s.seen_by == "callers" else "")
        )
    for step_text in found.steps:
        print(f"  {step_text}")
    if found.likely_cause:
        print(f"likely cause ({found.confidence} confidence): {found.likely_cause.evidence}")
        print(f"path: {' -> '.join(found.path)}")
    for a in found.alerts:
        print(f"alert: {a['alertname']} ({a['severity']}) {a['start']}" + (" firing" if a["ongoing"] else f" to {a['end']}"))
    for note in found.notes:
        print(f"note: {note}")
    return 0


def _triage(args: argparse.Namespace, settings: Settings) -> int:
    from services.assistant.offline import language
    from services.assistant.triage import group_lines, line_ranges, suggest
    from services.integrations.slack import SlackError, post

    if args.post_slack and not settings.integrations.slack_webhook_url:
        raise ConfigError("--post-slack needs SLACK_WEBHOOK_URL")
    raw = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    runtime = _runtime(settings)
    groups = [suggest(g, runtime.index, runtime.model, language(text[:2000])) for g in group_lines(text, args.all_lines)]
    if args.json:
        print(json.dumps({"groups": [g.to_dict() for g in groups]}, ensure_ascii=False, indent=2))
    else:
        kind = "line groups" if args.all_lines else "error groups"
        print(f"{len(groups)} {kind}")
        for g in groups:
            print(f"\n{g.count}x [{g.level}] {g.template[:200]}\n  lines {line_ranges(g.lines)}")
            print("  " + g.suggestion.replace("\n", "\n  "))
    failed = 0
    for g in groups if args.post_slack else []:
        try:
            post(
                settings.integrations.slack_webhook_url or "",
                f"{g.count}× {g.template[:150]}",
                g.suggestion,
                _links(g),
                actor=operator(),
                access=settings.access,
            )
        except SlackError as exc:
            failed += 1
            print(f"oncall: Slack: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _links(group) -> list[str]:
    return [s.source + (f" ({s.section})" if s.section else "") for s in group.citations]


def _demo_export(args: argparse.Namespace, settings: Settings) -> int:
    from services.sources import openmetrics
    from services.sources.demo_scenario import anchor_for, build_scenario

    if args.hours <= 0:
        raise WindowError("--hours must be positive")
    data = build_scenario(anchor_for(parse_time(args.end))).last_hours(args.hours)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        samples = openmetrics.write(data, out, settings.sources.cluster_label)
    first = data.anchor - timedelta(seconds=int(data.times[-1] - data.times[0]))
    print(f"wrote {samples} samples from {first.isoformat()} to {data.anchor.isoformat()} into {args.out}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """The dashboard's server (components.server: `streamlit run` on app.py wherever it is
    installed, the first page's modules imported first), with the Makefile's flags; the options
    of the repo's .streamlit/config.toml are passed too, since an installed package is run from
    a directory that has none. Streamlit's CLI replaces this process (services import no
    Streamlit), so Ctrl-C and SIGTERM stop the server itself."""
    flags = {
        "server.address": args.address,
        "server.port": str(args.port),
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "viewer",  # no Deploy button or developer menu
        "server.fileWatcherType": "none",  # see .streamlit/config.toml
    }
    options = [part for key, value in flags.items() for part in (f"--{key}", value)]
    os.execv(sys.executable, [sys.executable, "-m", "components.server", *options])


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "status": _status,
        "kb": _kb,
        "route": _route,
        "serve": _serve,
        "ask": _ask,
        "prompts": _prompts,
        "report": _report,
        "eval": _eval,
        "demo": _demo_export,
        "data": _data,
        "triage": _triage,
        "investigate": _investigate,
        "worker": _worker,
        "health": _health,
    }
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        return commands[args.command](args, settings)
    except (ConfigError, WindowError, SourceError, KnowledgeError, ModelError, StorageError, ReportError, OSError) as exc:
        print(f"oncall: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (ConfigError, WindowError)) else 1
    except Exception as exc:  # a CLI prints one line, never a traceback (the log has it)
        logging.getLogger("services.cli").exception("unexpected error")
        print(f"oncall: unexpected error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
