"""Gradio chat UI for Dispatch QA: presentation only; it uses the public API of `rag` and nothing else.

Started by `python app.py`, `python -m rag serve` or `dispatch-qa serve`.
"""
from __future__ import annotations

import html
import logging
import os
import re

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the app contacts nothing outside the machine
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from . import Answer, Assistant, DispatchQAError, Settings  # noqa: E402

log = logging.getLogger("dispatch-qa.app")


# Hovering a [n] marker in the chat lights up source n in the panel; clicking scrolls to it.
HEAD = """<script>
document.addEventListener('mouseover', e => {
  const a = e.target.closest && e.target.closest('a.dqa-cite'); if (!a) return;
  document.querySelectorAll('.dqa-source.dqa-active').forEach(el => el.classList.remove('dqa-active'));
  const src = document.getElementById(a.getAttribute('href').slice(1)); if (src) src.classList.add('dqa-active');
});
document.addEventListener('click', e => {
  const a = e.target.closest && e.target.closest('a.dqa-cite'); if (!a) return;
  e.preventDefault();
  const src = document.getElementById(a.getAttribute('href').slice(1));
  if (src) { src.scrollIntoView({behavior: 'smooth', block: 'center'}); src.classList.add('dqa-active'); }
});
</script>"""
CSS = """
.dqa-source { padding: 4px 8px; border-left: 3px solid transparent; }
.dqa-source.dqa-active { border-left-color: #f59e0b; background: rgba(245, 158, 11, 0.12); }
.dqa-source mark { background: #fde68a; }
a.dqa-cite { text-decoration: none; font-weight: 600; }
"""
_MARKER = re.compile(r"\[(\d+)\]")


def linked_answer(answer: Answer) -> str:
    """The answer with each [n] a link to source n; its tooltip is the cited passage (HTML-escaped)."""
    by_number = {c.number: c for c in answer.citations}

    def link(m: re.Match) -> str:
        c = by_number.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        tip = html.escape(f"{c.title or c.dispatch_id} ({c.date or 'undated'}): {c.text}", quote=True)
        return f'<a class="dqa-cite" href="#source-{c.number}" title="{tip}">[{c.number}]</a>'

    return _MARKER.sub(link, html.escape(answer.text, quote=False))


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """The passage, escaped, with the cited sentences in <mark>; the whole passage if no span is known."""
    if not spans:
        return f"<mark>{html.escape(text)}</mark>"
    out, pos = [], 0
    for s, e in spans:
        out += [html.escape(text[pos:s]), f"<mark>{html.escape(text[s:e])}</mark>"]
        pos = e
    return "".join(out + [html.escape(text[pos:])])


def sources_html(answer: Answer | None) -> str:
    """Each citation with title, file, date, language and the passage text, HTML-escaped."""
    if answer is None:
        return "<p class='dqa-empty'>Sources appear here.</p>"
    if answer.refused or not answer.citations:
        return "<p class='dqa-empty'>No passage supports an answer.</p>"
    rows = []
    if answer.timeframe:
        rows.append(f"<p class='dqa-timeframe'>Period searched: {html.escape(answer.timeframe)}</p>")
    for c in answer.citations:
        kind = " · photo caption" if c.is_caption else ""
        kind += f" · quotes {html.escape(', '.join(c.speakers))}" if c.speakers else ""
        rows.append(
            f"<div class='dqa-source' id='source-{c.number}'><b>[{c.number}]</b> "
            f"{html.escape(c.title or c.dispatch_id)}<br><small>{html.escape(c.file or c.dispatch_id)} · "
            f"{html.escape(c.date or 'undated')} · {html.escape(c.lang)}{kind} · chars {c.start}-{c.end} · "
            f"support {c.support:.2f}</small>"
            f"<blockquote>{highlighted(c.text, c.spans)}</blockquote></div>")
    if answer.sentences:  # every sentence checked, with its support; removed ones are what no passage backs
        items = "".join(f"<li>{'✓' if s.supported else '✗ removed:'} {html.escape(s.text)} "
                        f"<small>(support {s.support:.2f})</small></li>" for s in answer.sentences)
        rows.append(f"<details class='dqa-dropped'><summary>Sentence checks: {len(answer.dropped)} unsupported "
                    f"sentence(s) removed</summary><ul>{items}</ul></details>")
    return "\n".join(rows)


def status_text(qa: Assistant) -> str:
    st = qa.stats()
    return f"{st['dispatches']} dispatches, {st['chunks']} chunks indexed · {qa.llm_notice or st['llm']}"


def build(qa: Assistant) -> gr.Blocks:
    with gr.Blocks(title="Dispatch QA") as demo:
        gr.Markdown("## Dispatch QA — questions over news dispatches, every answer cited")
        status = gr.Markdown(status_text(qa), elem_id="dqa-status")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(elem_id="dqa-chat", height=480)
                    question = gr.Textbox(placeholder="Combien de drones ont été abattus au-dessus de Briansk ?",
                                          max_length=qa.settings.max_question_chars,
                                          show_label=False, elem_id="dqa-question")
                    with gr.Row():
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="dqa-ask")
                        clear_btn = gr.Button("New conversation")
                with gr.Column(scale=2):
                    sources = gr.HTML(sources_html(None), elem_id="dqa-sources")
            with gr.Accordion("Filters", open=False), gr.Row():
                date_from = gr.Textbox(label="From (YYYY-MM[-DD])")
                date_to = gr.Textbox(label="To (YYYY-MM[-DD])")
                langs = gr.CheckboxGroup(["fr", "en"], label="Language")
                source = gr.Textbox(label="Source (comma-separated)")
                as_of = gr.Textbox(label="As of (YYYY-MM-DD; 'hier' and 'last week' count from it)")
                k = gr.Slider(1, 12, value=qa.settings.top_k, step=1, label="Passages")
        with gr.Tab("Ingest"):
            files = gr.File(file_count="multiple", label="Dispatch files (.txt, .md, .json, .jsonl)")
            folder = gr.Textbox(label="…or a folder on this machine")
            ingest_btn = gr.Button("Ingest")
            ingest_out = gr.Markdown()
            with gr.Row():
                del_id = gr.Textbox(label="Dispatch id to delete")
                del_btn = gr.Button("Delete")
            listing = gr.Dataframe(headers=["dispatch_id", "date", "lang", "source", "chunks", "title"])
        history = gr.State([])

        def respond(msg, chat_msgs, hist, d_from, d_to, lang_sel, src, k_val, as_of_day=""):
            chat_msgs = list(chat_msgs or [])
            if not msg or not msg.strip():
                yield chat_msgs, gr.update(), hist, gr.update(), ""
                return
            chat_msgs += [{"role": "user", "content": msg}, {"role": "assistant", "content": ""}]
            filters = {"date_from": (d_from or "").strip(), "date_to": (d_to or "").strip(), "lang": lang_sel or [],
                       "source": [s.strip() for s in (src or "").split(",") if s.strip()]}
            try:
                stream = qa.stream(msg, filters=filters, k=int(k_val), history=hist[-3:],
                                   as_of=(as_of_day or "").strip() or None)
                for sentence in stream:  # checked sentences only: what is shown stays
                    chat_msgs[-1]["content"] = f"{chat_msgs[-1]['content']} {sentence}".strip()
                    yield chat_msgs, gr.update(), hist, gr.update(), ""
                answer = stream.answer
            except Exception as exc:  # noqa: BLE001 - the user sees a sentence, the log keeps the traceback
                if not isinstance(exc, DispatchQAError):
                    log.exception("answering failed")
                    exc = f"Something went wrong while answering ({type(exc).__name__}); see the server log."
                chat_msgs[-1]["content"] = f"⚠️ {exc}"
                yield chat_msgs, sources_html(None), hist, status_text(qa), ""
                return
            chat_msgs[-1]["content"] = linked_answer(answer)
            hist = hist + [(answer.standalone_question, answer.text)]
            yield chat_msgs, sources_html(answer), hist, status_text(qa), ""

        inputs = [question, chat, history, date_from, date_to, langs, source, k, as_of]
        outputs = [chat, sources, history, status, question]
        ask_btn.click(respond, inputs, outputs, api_name="ask")
        question.submit(respond, inputs, outputs, api_name=False)
        clear_btn.click(lambda: ([], [], sources_html(None)), None, [chat, history, sources], api_name=False)

        def do_ingest(uploaded, path, progress=gr.Progress()):
            paths = [f if isinstance(f, str) else f.name for f in (uploaded or [])] + ([path] if path else [])
            if not paths:
                return "Choose files or a folder first.", status_text(qa), _rows()
            try:
                report = qa.ingest(paths, progress=lambda frac, text: progress(frac, desc=text))
            except DispatchQAError as exc:
                return f"⚠️ {exc}", status_text(qa), _rows()
            return "```\n" + report.summary() + "\n```", status_text(qa), _rows()

        def do_delete(dispatch_id):
            dispatch_id = (dispatch_id or "").strip()
            n = qa.delete(dispatch_id) if dispatch_id else 0
            msg = f"Deleted {n} chunks of {dispatch_id}." if n else f"No dispatch with id '{dispatch_id}'."
            return msg, status_text(qa), _rows()

        def _rows():
            return [[r["dispatch_id"], r["date"], r["lang"], r["source"], r["chunks"], r["title"]]
                    for r in qa.dispatches()]

        ingest_btn.click(do_ingest, [files, folder], [ingest_out, status, listing], api_name=False)
        del_btn.click(do_delete, [del_id], [ingest_out, status, listing], api_name=False)
        demo.load(_rows, None, listing, api_name=False)
    return demo


def serve(qa: Assistant, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True,
          quiet: bool = False) -> gr.Blocks:
    """Build and launch the UI; with block=False it returns the running app (tests close it)."""
    demo = build(qa)
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=host, server_port=port, auth=auth, show_error=False, css=CSS, head=HEAD,
                prevent_thread_lock=not block, quiet=quiet)
    return demo


def main() -> None:
    settings = Settings.load()
    qa = Assistant.open(settings=settings)
    qa.llm  # noqa: B018 - pick the backend now so the status line says who answers
    print(qa.llm_notice)
    auth = (settings.ui_username, settings.ui_password) if settings.ui_username else None
    serve(qa, settings.ui_host, settings.ui_port, auth=auth)


if __name__ == "__main__":
    main()
