"""Reports: shift summaries generated in the background, listed, downloaded and shared."""

import streamlit as st

from components import data
from components.confirm import slack_post
from components.format import local_time
from components.state import current_view
from services.reports import jobs as report_jobs
from services.reports.export import ReportError, to_pdf
from services.safety.markup import escape_markdown, without_images

view = current_view()
t = view.t
st.title(t("reports.title"))
store = data.store_or_stop(view)

st.caption(
    t(
        "reports.caption",
        start=local_time(view.window.start, view.tz),
        end=local_time(view.window.end, view.tz),
        zone=view.tz.key,
    )
)
notes = st.text_area(t("reports.notes"), key="report_notes", height=120)
if st.button(t("reports.generate"), key="report_generate", type="primary"):
    job = report_jobs.start(data.runtime(view), view.window, view.filters, notes, view.tz, view.lang)
    st.toast(t("reports.started", job=job))


@st.fragment(run_every=2)
def job_list() -> None:
    jobs = report_jobs.jobs(store)
    if not jobs:
        st.info(t("reports.none"))
        return
    for row in jobs:
        status = t(f"reports.status.{row['status']}")
        label = f"#{row['id']} · {row['window_from'][:16]} → {row['window_to'][:16]} · {status}"
        with st.expander(label, expanded=row is jobs[0]):
            if row["status"] in ("queued", "running"):
                st.progress(row["progress"] or 0.0, text=row["message"])
                continue
            if row["status"] == "failed":
                st.error(t("reports.failed", error=escape_markdown(row["message"])))
                continue
            st.caption(t("reports.finished", at=row["finished_at"]))  # the narrative's mode is in the summary
            full = store.report(row["id"])
            a, b, c = st.columns(3)
            a.download_button(
                "Markdown", full["markdown"], f"shift-summary-{row['id']}.md", "text/markdown", key=f"md_{row['id']}"
            )
            b.download_button("HTML", full["html"], f"shift-summary-{row['id']}.html", "text/html", key=f"html_{row['id']}")
            pdf_key = f"pdf_bytes_{row['id']}"
            if pdf_key in st.session_state:
                c.download_button(
                    "PDF", st.session_state[pdf_key], f"shift-summary-{row['id']}.pdf", "application/pdf", key=f"pdf_{row['id']}"
                )
            elif c.button(t("reports.prepare_pdf"), key=f"make_pdf_{row['id']}"):
                try:
                    st.session_state[pdf_key] = to_pdf(full["html"], view.settings.integrations.chromium)
                except ReportError as exc:
                    st.error(escape_markdown(str(exc)))
                st.rerun(scope="fragment")
            slack_post(
                view,
                f"report_{row['id']}",
                data.runtime(view),
                t("reports.slack_title", start=row["window_from"][:16], end=row["window_to"][:16]),
                full["markdown"][:3500],
            )
            st.markdown(without_images(full["markdown"]))


job_list()
