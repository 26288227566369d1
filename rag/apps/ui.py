"""Gradio chat UI for Dispatch QA: presentation only; it uses the public API of `rag` and nothing else.

Started by `python app.py`, `python -m rag serve` or `dispatch-qa serve`. One language at a time (French or
English, from the browser, switchable); every visible string is ours (rag/data/ui.toml), Gradio's footer,
API link and share button are off. The question shows at once; the answer shows the step it is at, then
its sentences as they pass their checks, then its sources under it. Conversations stay in the browser.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import queue
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the app contacts nothing outside the machine
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from rag import Answer, Assistant, Busy, DispatchQAError, Settings  # noqa: E402
from rag.apps import feedback  # noqa: E402
from rag.apps.ui_html import (  # noqa: E402
    LANGS,
    answer_html,
    answer_markdown,
    conversation_markdown,
    ingest_summary,
    language_name,
    message_html,
    model_label,
    pick_language,
    progress_html,
    texts,
    when,
)

log = logging.getLogger("dispatch-qa.app")
EXAMPLES = 3
TICK = 1.0  # s: how often the elapsed time of an answer being written moves on screen

# Markers are buttons: a click, a tap or Enter/Space opens the preview of that answer's source; Escape closes.
# Gradio labels messages for screen readers with their raw content (HTML, in English words): ours replace them.
HEAD = """<script>
(() => {
  const LABELS = window.dqaLabels = __LABELS__;
  const lang = () => (document.querySelector('#dqa-lang input:checked') || {}).value || 'en';
  const relabel = () => {
    const L = LABELS[lang()] || LABELS.en;
    document.querySelectorAll('[data-testid="bot"], [data-testid="user"]').forEach(el => {
      const who = el.dataset.testid === 'bot' ? L.answer : L.question;
      const label = who + ' : ' + el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 300);
      if (el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
    });
    document.querySelectorAll('#dqa-chat [aria-label="chatbot conversation"], #dqa-chat .bubble-wrap').forEach(
      el => el.setAttribute('aria-label', L.chat));
    // Gradio's thumbs under an answer (dislike, then like), in the browser's language: ours say what they mean,
    // and whether they are chosen (Gradio words a chosen one "Liked" / "Disliked", in English)
    document.querySelectorAll('#dqa-chat .icon-button-wrapper:not(.top-panel)').forEach(w => {
      const bs = w.querySelectorAll('button.icon-button'); if (bs.length !== 2) return;
      [[bs[0], L.wrong, 'Disliked'], [bs[1], L.right, 'Liked']].forEach(([b, label, chosen]) => {
        const now = b.getAttribute('aria-label'); if (now === label) return;
        const ours = Object.values(LABELS).some(x => x.right === now || x.wrong === now);  // a language switch
        if (!ours) b.setAttribute('aria-pressed', String(now === chosen));
        b.setAttribute('aria-label', label); b.setAttribute('title', label);
      });
    });
    document.querySelectorAll('button[aria-label="More tabs"]').forEach(el => el.setAttribute('aria-label', L.more));
    // Gradio words its upload box in the browser's language: ours, in the UI's, stands in for its words
    document.querySelectorAll('#dqa-files button.upload-container').forEach(b => {
      if (b.getAttribute('aria-label') !== L.drop) b.setAttribute('aria-label', L.drop);
    });
    document.querySelectorAll('#dqa-files [data-testid="upload-text"]').forEach(wrap => {
      wrap.childNodes.forEach(n => {
        if (n.nodeType === 3 && n.nodeValue.trim()) n.nodeValue = '';
        else if (n.classList && n.classList.contains('or')) n.style.display = 'none';
      });
      let own = wrap.querySelector('.dqa-drop');
      if (!own) { own = document.createElement('span'); own.className = 'dqa-drop'; wrap.appendChild(own); }
      if (own.textContent !== L.drop) own.textContent = L.drop;
    });
  };
  new MutationObserver(relabel).observe(document.documentElement, {childList: true, subtree: true});
  const close = except => document.querySelectorAll('button.dqa-cite[aria-expanded="true"]').forEach(b => {
    if (b === except) return;
    b.setAttribute('aria-expanded', 'false');
    const p = document.getElementById(b.getAttribute('aria-controls')); if (p) p.hidden = true;
  });
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('button.dqa-cite');
    if (!b) { if (!(e.target.closest && e.target.closest('.dqa-preview'))) close(null); return; }
    e.preventDefault();
    const p = document.getElementById(b.getAttribute('aria-controls')); if (!p) return;
    const open = b.getAttribute('aria-expanded') !== 'true';
    close(b);
    b.setAttribute('aria-expanded', String(open)); p.hidden = !open;
  });
  document.addEventListener('keydown', e => { if (e.key === 'Escape') close(null); });
  // "Open the dispatch": its box opens on the cited span (it opened at the top, the span far down the box)
  document.addEventListener('toggle', e => {
    const d = e.target; if (!d.open || !d.classList || !d.classList.contains('dqa-dispatch')) return;
    const box = d.querySelector('.dqa-dispatch-text'), mark = box && box.querySelector('mark'); if (!mark) return;
    box.scrollTop = mark.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop
      - box.clientHeight / 4;
  }, true);
  // "Copy the answer": the clipboard API where the page is a secure context, else the old way
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('button.dqa-copy'); if (!b) return;
    const text = b.dataset.copy, label = b.textContent;
    const done = () => { b.textContent = b.dataset.done; setTimeout(() => { b.textContent = label; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
    const area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
    area.select(); document.execCommand('copy'); area.remove(); done();
  });
})();
</script>"""
# A delete asks first, in the UI's language: the event's first input becomes null when the user says no (not
# "": a choice list refuses a value it does not offer, and the server answered that with an error).
CONFIRM = """(first, ...rest) => {{
  const code = (document.querySelector('#dqa-lang input:checked') || {{}}).value || 'en';
  const L = (window.dqaLabels || {{}})[code] || (window.dqaLabels || {{}}).en || {{}};
  return [first && window.confirm((L.{key} || '').replace('{{id}}', first)) ? first : null, ...rest];
}}"""


def head() -> str:
    import json
    labels = {code: {"answer": texts(code).answer_label, "question": texts(code).question_label,
                     "chat": texts(code).chat_label, "more": texts(code).more_tabs,
                     "confirm_chat": texts(code).confirm_delete_chat,
                     "confirm_dispatch": texts(code).confirm_delete_dispatch, "drop": texts(code).drop_files,
                     "right": texts(code).mark_right, "wrong": texts(code).mark_wrong}
              for code in LANGS}
    return HEAD.replace("__LABELS__", json.dumps(labels, ensure_ascii=False))


CSS = """
footer, .show-api, .built-with { display: none !important; }
#dqa-chat .icon-button-wrapper.top-panel { display: none !important; }  /* Gradio's clear: ours is "New" */
#dqa-status { font-size: 0.9em; }
.dqa-answer { line-height: 1.5; }
.dqa-understood { font-size: 0.9em; opacity: 0.8; margin: 0 0 4px; }
.dqa-status { font-style: italic; opacity: 0.8; margin: 0; }
.dqa-spinner { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border: 2px solid #9ca3af;
  border-top-color: #2563eb; border-radius: 50%; animation: dqa-spin 0.9s linear infinite; vertical-align: -0.1em; }
@keyframes dqa-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .dqa-spinner { animation: none; } }
.dqa-reading summary { cursor: pointer; font-size: 0.92em; }
.dqa-reading ul { margin: 2px 0 2px 1.2em; font-size: 0.92em; list-style: none; padding: 0; }
button.dqa-cite { font: inherit; font-weight: 600; padding: 0 2px; border: 0; background: none; color: #2563eb;
  cursor: pointer; text-decoration: underline dotted; }
button.dqa-cite:focus-visible { outline: 2px solid #2563eb; }
.dqa-preview:not([hidden]) { display: block; margin: 6px 0; padding: 8px; border: 1px solid #f59e0b;
  border-radius: 6px; background: rgba(245, 158, 11, 0.10); }
.dqa-sources summary, .dqa-checks summary, .dqa-dispatch summary { cursor: pointer; font-weight: 600; }
.dqa-source { margin: 6px 0; padding: 6px 8px; border-left: 3px solid #f59e0b; }
.dqa-source header { font-weight: 600; }
.dqa-meta { font-size: 0.9em; margin: 2px 0; opacity: 0.85; }
.dqa-source blockquote { margin: 4px 0; }
.dqa-closest summary { cursor: pointer; font-weight: 600; }
button.dqa-copy { font-size: 0.85em; padding: 2px 8px; border: 1px solid #d1d5db; border-radius: 4px;
  background: none; cursor: pointer; }
.dqa-source.dqa-not-answer { border-left-color: #9ca3af; color: #4b5563; }
mark { background: #fde68a; color: inherit; }
.dqa-dispatch-text { max-height: 24em; overflow: auto; font-size: 0.92em; }
.dqa-timeline ol { margin: 4px 0 4px 1.2em; }
/* on a phone: a one-line title, a chat that leaves the question box on the first screen, and the conversations
   with New and Delete under the chat (hidden, a phone had no way to them) */
@media (max-width: 700px) {
  #dqa-title h2 { font-size: 1.1em; margin: 0; }
  #dqa-chat { height: 48vh !important; min-height: 260px; }
  #dqa-sidebar { order: 2; min-width: 100% !important; }
  #dqa-lang { flex: 1 1 100% !important; }  /* both languages on one line */
  /* the status line and the language choice stack, each the screen's width (side by side the status was a
     90 px column, one word per line) */
  #dqa-top { flex-wrap: wrap; }
  #dqa-top > * { min-width: 100% !important; }
  /* the dispatches table in the screen's width, wrapped: id, date, title and delete (it was 1,100 px scrolled
     inside its box, the id column alone in sight) */
  #dqa-listing table { width: 100% !important; min-width: 0 !important; table-layout: fixed; }
  #dqa-listing th:nth-child(3), #dqa-listing td:nth-child(3), #dqa-listing th:nth-child(4),
  #dqa-listing td:nth-child(4), #dqa-listing th:nth-child(5), #dqa-listing td:nth-child(5) { display: none !important; }
  #dqa-listing th, #dqa-listing td { min-width: 0 !important; max-width: none !important; overflow-wrap: anywhere; }
  #dqa-listing th:nth-child(1), #dqa-listing td:nth-child(1) { width: 28% !important; }
  #dqa-listing th:nth-child(2), #dqa-listing td:nth-child(2) { width: 20% !important; }
  #dqa-listing th:nth-child(6), #dqa-listing td:nth-child(6) { width: 32% !important; }
  #dqa-listing th:nth-child(7), #dqa-listing td:nth-child(7) { width: 20% !important; }
  #dqa-listing .cell-wrap, #dqa-listing .cell-wrap * { font-size: 12px !important; }
}
/* nothing to regenerate, edit or export in an empty conversation */
body:not(:has(#dqa-chat .dqa-answer)) #dqa-regenerate, body:not(:has(#dqa-chat .dqa-answer)) #dqa-edit,
body:not(:has(#dqa-chat .dqa-answer)) #dqa-export { display: none !important; }
"""


def status_html(qa: Assistant, lang: str) -> str:
    """One short line: which model answers, how much is indexed; the model notice folded away."""
    t = texts(lang)
    try:
        st = qa.stats()
    except DispatchQAError as exc:  # the index is unusable (deleted, server down): the sentence, not "Error"
        why = t.index_gone.format(folder=qa.settings.index_dir) if qa.index_gone() else str(exc)
        return f"<div role='status'>⚠️ {escape(why)}</div>"
    model = model_label(qa.llm.name, lang) if qa.llm_loaded else "—"
    line = t.status.format(model=model, dispatches=t.dispatch_count.format(n=st["dispatches"]),
                           chunks=t.passage_count.format(n=st["chunks"]))
    notice = qa.llm_detail
    help_html = f"<details><summary>{escape(t.model_help)}</summary><p>{escape(notice)}</p></details>" if notice else ""
    return f"<div role='status'>{escape(line)}{help_html}</div>"


def ingest_roots(qa: Assistant) -> list[Path]:
    """Folders the ingest box may read: the setting, else the folders of the dispatches already indexed."""
    roots = qa.settings.ui_ingest_roots or sorted({str(Path(r["path"]).parent) for r in qa.dispatches()
                                                   if r["path"]})
    return [Path(r).resolve() for r in roots]


def bound_host(host: str) -> str:
    """The address the UI will listen on: `host`, else what Gradio would take (GRADIO_SERVER_NAME, else
    127.0.0.1). It is given to Gradio as such, so the guard and the socket agree whatever set it."""
    return host.strip() or os.environ.get("GRADIO_SERVER_NAME", "").strip() or "127.0.0.1"


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def writable(settings: Settings, host: str | None = None) -> bool:
    """Ingest and delete from the UI only when it is not open to the network without a password (`host`: the
    address bound, the ui_host setting by default)."""
    return loopback(bound_host(settings.ui_host if host is None else host)) or bool(settings.ui_username)


def _content(message: dict) -> str:
    """A chat message's content as text (Gradio hands it back as a list of parts)."""
    content = message.get("content", "")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _question(q: str) -> str:
    return f'<p class="dqa-question">{escape(q)}</p>'


def _messages(turns: list[dict], code: str, notes: dict[int, str] | None = None) -> list[dict]:
    """The chat's messages for these turns, in the UI's language `code`; `notes`: a line to show above the
    answer of turn i."""
    out = []
    for i, turn in enumerate(turns):
        note = (notes or {}).get(i)
        html = _html(turn, code)
        html = f'<p class="dqa-stale" role="note">⚠️ {escape(note)}</p>{html}' if note else html
        out += [{"role": "user", "content": _question(turn["q"])}, {"role": "assistant", "content": html}]
    return out


SHOWN_VERDICT = {"right": "Like", "wrong": "Dislike"}  # a reader's verdict as Gradio's thumbs show it


def _chat(turns: list[dict], code: str, notes: dict[int, str] | None = None, tail: tuple[dict, ...] = (),
          drawn: list[dict] | None = None) -> Any:
    """The chat showing these turns (then `tail`: the question being answered and its progress), each answer
    with the verdict its reader gave it (the chat forgot them when it was drawn again); `drawn`: the turns'
    messages already made (an answer being written redraws every second: its earlier turns are made once)."""
    shown = [SHOWN_VERDICT.get(t.get("verdict") or "") for t in turns]
    shown += [None for m in tail if m["role"] == "assistant"]
    drawn = _messages(turns, code, notes) if drawn is None else drawn
    return gr.update(value=drawn + list(tail), feedback_value=shown)


def _html(turn: dict, code: str) -> str:
    """A turn's answer as shown in language `code`: an answer keeps its HTML in every UI language, so a switch
    re-renders earlier answers too (a stopped one, and one saved before, has one)."""
    html = turn["html"]
    return html if isinstance(html, str) else html.get(code) or next(iter(html.values()))


def dispatch_rows(qa: Assistant, code: str, deletable: bool = True) -> list[list[Any]]:
    """The Dispatches tab's rows in the UI's language: id, date, language, agency, passages, title, and the
    row's delete button (a cell; none for an item a kill notice withdrew, nor when `deletable` is off); an item
    under embargo and one a kill notice withdrew say so before their title."""
    try:
        listed = qa.dispatches()
    except DispatchQAError:  # the status line says why
        return []
    t = texts(code)
    gone = [[did, w.get("date", ""), "", "", 0, f"({t.withdrawn}) {w.get('title', '')}", ""]
            for did, w in sorted(qa.withdrawn().items())]
    here = [[r["dispatch_id"], r["date"], language_name(r["lang"], code),
             r["source"] if r["source"] not in ("", "unknown") else t.unknown_source, r["chunks"],
             (f"({t.embargoed.format(when=when(r['embargo'], code))}) " if qa.embargoed(r) else "") + r["title"]
             + (t.earlier_kept.format(n=r["earlier_versions"]) if r.get("earlier_versions") else ""),
             t.delete_row if deletable else ""]
            for r in listed]
    return here + gone


def headers(t: Any) -> list[str]:
    """The Dispatches table's column names, in the language of the texts `t`."""
    return [t.col_id, t.col_date, t.col_lang, t.col_source, t.col_chunks, t.col_title, t.col_delete]


def stale_sources(qa: Assistant, turns: list[dict], lang: str) -> dict[int, str]:
    """For answers saved in the browser: those whose sources were since withdrawn or deleted, or replaced by
    a newer version of their dispatch (the cited passages are gone, or kept as an earlier version)."""
    cited = [(i, did, cid) for i, turn in enumerate(turns) for did, cid in turn.get("cites", [])]
    if not cited:
        return {}
    try:
        present = {c.id for c in qa.store.get([cid for _, _, cid in cited]) if not c.meta.superseded}
        listed = {r["dispatch_id"] for r in qa.dispatches()}
        withdrawn = qa.withdrawn()
    except DispatchQAError:  # the status line says why
        return {}
    t, notes = texts(lang), {}
    for i, did, cid in cited:
        if did in withdrawn or did not in listed:
            notes[i] = t.source_gone
        elif cid not in present:
            notes.setdefault(i, t.source_updated)
    return notes


COLUMN_WIDTHS = ["20%", "10%", "9%", "11%", "8%", "33%", "9%"]  # the Dispatches table: id ... title, delete
RUNNING: dict[str, Any] = {}  # run id -> the AnswerStream it is reading, for its stop button
EXPORTS = tempfile.TemporaryDirectory(prefix="dqa-exports-")  # conversations exported as Markdown (removed at exit)
STOP_WAIT = 3.0  # s: how long Stop waits for the model to stop, to show what was written with its sources
STOPPED: set[str] = set()  # runs whose stop button was pressed: nothing of theirs is shown any more


def _judged(ans: Answer, kw: dict[str, Any]) -> dict[str, Any]:
    """What a turn keeps of its answer for what follows: the follow-ups' history, the stale-source notes, and a
    reader's verdict (question as understood, answer, sources with their cited sentences, how it was asked)."""
    return {"text": ans.text, "standalone": ans.standalone_question, "lang": ans.lang, "refused": ans.refused,
            "cites": [[c.dispatch_id, c.chunk_id] for c in ans.citations],
            "sources": [asdict(s) for s in feedback.sources_of(ans)], "as_of": ans.as_of,
            "filters": {k: v for k, v in (kw.get("filters") or {}).items() if v}}


def _stopped_note(code: str) -> str:
    return f'<p class="dqa-stopped">{escape(texts(code).stopped)}</p>'


def _stopped_answer(stream: Any) -> Answer | None:
    """The answer a stopped stream ends with (what had been shown, its citations), once the model has stopped;
    None when nothing had been shown, or the model did not stop within STOP_WAIT."""
    deadline = time.monotonic() + STOP_WAIT
    while stream is not None and stream.answer is None and time.monotonic() < deadline:
        time.sleep(0.05)
    ans = getattr(stream, "answer", None)
    return ans if ans is not None and ans.citations and ans.text.strip() and not ans.refused else None


def _stream(qa: Assistant, question: str, kw: dict[str, Any], events: queue.Queue, run_id: str) -> None:
    """Runs in a thread: steps and checked sentences into `events`, then the Answer (or the error)."""
    running: dict[str, Any] = {}

    def status(step: str, n: int = 0) -> None:
        events.put(("status", step, n))
        if step == "found":  # the passages the model reads, shown while it writes
            events.put(("sources", running["stream"].sources, 0))

    try:
        stream = running["stream"] = qa.stream(question, on_status=status, **kw)
        RUNNING[run_id] = stream
        if run_id in STOPPED:
            stream.cancel()
        for sentence in stream:
            events.put(("sentence", sentence, 0))
        events.put(("answer", stream.answer, 0))
    except Exception as exc:  # noqa: BLE001 - shown as a sentence; the log keeps the traceback
        events.put(("error", exc, 0))
    finally:
        RUNNING.pop(run_id, None)


def build(qa: Assistant, host: str | None = None) -> gr.Blocks:  # noqa: C901 - one place wiring the events
    settings = qa.settings
    can_write = writable(settings, host)
    t0 = texts("en")
    with gr.Blocks(title="Dispatch QA") as demo:
        lang = gr.State("en")
        turns = gr.State([])
        current = gr.State("")
        saved = gr.BrowserState([], storage_key="dqa-conversations")
        chosen = gr.BrowserState("", storage_key="dqa-language")  # the language the user picked, kept for reloads
        title = gr.Markdown(f"## {t0.title}", elem_id="dqa-title")
        with gr.Row(elem_id="dqa-top"):
            status = gr.HTML("", elem_id="dqa-status")
            # none chosen until the page's load picks one (the user's last choice, else the browser's language)
            ui_lang = gr.Radio([("Français", "fr"), ("English", "en")], value=None, label=t0.ui_language,
                               elem_id="dqa-lang", scale=0, min_width=220)
        with gr.Tabs():
            with gr.Tab(t0.chat_tab, id="chat") as chat_tab:
                with gr.Row():
                    with gr.Column(scale=1, min_width=200, elem_id="dqa-sidebar"):
                        convos = gr.Radio([], label=t0.conversations, elem_id="dqa-conversations")
                        new_btn = gr.Button(t0.new_chat, elem_id="dqa-new")
                        del_convo = gr.Button(t0.delete_chat, variant="secondary", elem_id="dqa-delete-chat")
                    with gr.Column(scale=4):
                        # Our HTML is escaped by its templates (and questions by _messages): Gradio's sanitizer
                        # would also strip the aria attributes that make markers and cards accessible.
                        chat = gr.Chatbot(elem_id="dqa-chat", height=560, buttons=[], label=t0.chat_label,
                                          show_label=False, group_consecutive_messages=False,
                                          # right / wrong under each answer, kept on the server (readers'
                                          # verdicts become a question set: `dispatch-qa feedback`)
                                          feedback_options=("Like", "Dislike") if can_write else None,
                                          sanitize_html=False,
                                          placeholder=t0.welcome)
                        with gr.Row():
                            question = gr.Textbox(placeholder=t0.placeholder, label=t0.question_label,
                                                  show_label=False, scale=6,
                                                  max_length=settings.max_question_chars, elem_id="dqa-question",
                                                  autofocus=True)
                            ask_btn = gr.Button(t0.ask, variant="primary", scale=1, elem_id="dqa-ask")
                            stop_btn = gr.Button(t0.stop, variant="stop", scale=1, elem_id="dqa-stop",
                                                 interactive=False)  # active while an answer is written
                        with gr.Row():
                            regen_btn = gr.Button(t0.regenerate, size="sm", elem_id="dqa-regenerate")
                            edit_btn = gr.Button(t0.edit, size="sm", elem_id="dqa-edit")
                            # the conversation as a Markdown file, with its sources (ready once it has answers)
                            export_btn = gr.DownloadButton(t0.export, size="sm", elem_id="dqa-export",
                                                           interactive=False)
                        with gr.Row(elem_id="dqa-examples"):
                            example_btns = [gr.Button("", size="sm", visible=False, elem_id=f"dqa-example-{i}")
                                            for i in range(EXAMPLES)]
                with gr.Accordion(t0.filters, open=False) as filters_box, gr.Row():
                    date_from = gr.Textbox(label=t0.date_from)
                    date_to = gr.Textbox(label=t0.date_to)
                    langs = gr.CheckboxGroup([(t0.fr, "fr"), (t0.en, "en")], label=t0.language)
                    source = gr.Textbox(label=t0.source)
                    as_of = gr.Textbox(label=t0.as_of)
                    k = gr.Slider(1, 12, value=settings.top_k, step=1, label=t0.passages)
            with gr.Tab(t0.ingest_tab, id="ingest") as ingest_tab:
                files = gr.File(file_count="multiple", label=t0.upload, interactive=can_write, elem_id="dqa-files")
                folder = gr.Textbox(label=t0.folder, elem_id="dqa-folder", interactive=can_write)
                ingest_btn = gr.Button(t0.ingest, interactive=can_write, elem_id="dqa-ingest")
                ingest_out = gr.Markdown("" if can_write else t0.read_only, elem_id="dqa-ingest-out")
                # in the box's width (sized by content, the title's column pushed the delete cells out of sight)
                listing = gr.Dataframe(headers=headers(t0), label=t0.listing, elem_id="dqa-listing", wrap=True,
                                       interactive=False, column_widths=COLUMN_WIDTHS)
                # the id of the dispatch whose delete cell was pressed (in the page: the confirm step reads it)
                del_id = gr.Textbox(visible=False, elem_id="dqa-delete-id")

        # -- language ------------------------------------------------------------------------------
        localized = [title, ui_lang, chat_tab, ingest_tab, convos, new_btn, del_convo, chat, question, ask_btn,
                     stop_btn, regen_btn, edit_btn, export_btn, filters_box, date_from, date_to, langs, source, as_of,
                     k, files, folder, ingest_btn, listing, status, *example_btns]

        def labels(code: str) -> list[Any]:
            t = texts(code)
            try:
                examples = qa.example_questions(code, EXAMPLES)
            except DispatchQAError:  # the index is unusable: the status line says why
                examples = []
            return [f"## {t.title}", gr.update(label=t.ui_language, value=code), gr.update(label=t.chat_tab),
                    gr.update(label=t.ingest_tab), gr.update(label=t.conversations), t.new_chat, t.delete_chat,
                    gr.update(label=t.chat_label, placeholder=t.welcome),
                    gr.update(placeholder=t.placeholder, label=t.question_label),
                    t.ask, t.stop,
                    t.regenerate, t.edit, gr.update(label=t.export), gr.update(label=t.filters),
                    gr.update(label=t.date_from),
                    gr.update(label=t.date_to), gr.update(label=t.language, choices=[(t.fr, "fr"), (t.en, "en")]),
                    gr.update(label=t.source), gr.update(label=t.as_of), gr.update(label=t.passages),
                    gr.update(label=t.upload), gr.update(label=t.folder), t.ingest,
                    # the rows too: their language and agency columns are words of the UI's language
                    gr.update(label=t.listing, value=table(code)),
                    status_html(qa, code),
                    *(gr.update(value=q, visible=True) for q in examples),
                    *(gr.update(visible=False) for _ in range(EXAMPLES - len(examples)))]

        def switch(code: str, past: list[dict]) -> list[Any]:
            code = code if code in LANGS else "en"
            return [code, code, *labels(code), _chat(past or [], code, stale_sources(qa, past or [], code))]

        # -- filters: the accordion says how many are set, so a narrowed search is never a surprise ------
        filter_boxes = [date_from, date_to, langs, source, as_of]

        def filters_label(d_from: str, d_to: str, lang_sel: list[str], src: str, as_of_day: str, code: str) -> Any:
            t = texts(code)
            n = sum(bool((x or "").strip()) for x in (d_from, d_to, src, as_of_day)) + bool(lang_sel)
            return gr.update(label=t.filters_active.format(n=n) if n else t.filters)

        for box in filter_boxes:
            box.change(filters_label, [*filter_boxes, lang], [filters_box], show_progress="hidden", queue=False)

        # .input, not .change: the value start() sets must not run switch() again, late, over the user's choice
        ui_lang.input(switch, [ui_lang, turns], [lang, chosen, *localized, chat], show_progress="hidden",
                      queue=False).then(
            filters_label, [*filter_boxes, lang], [filters_box], show_progress="hidden", queue=False)

        # -- conversations in the browser ----------------------------------------------------------
        def convo_choices(store: list[dict], code: str) -> list[tuple[str, str]]:
            return [(c.get("title") or texts(code).untitled, c["id"]) for c in reversed(store)]

        def start(store: list[dict], picked: str, request: gr.Request) -> list[Any]:
            """The page as it opens: in the language the user picked here before, else the browser's."""
            code = picked if picked in LANGS else pick_language(request.headers.get("accept-language", "")
                                                                if request else "")
            store = store or []
            last = store[-1] if store else {"id": "", "turns": []}
            return [code, *labels(code), last["turns"], last["id"],
                    _chat(last["turns"], code, stale_sources(qa, last["turns"], code)),
                    gr.update(choices=convo_choices(store, code), value=last["id"] or None)]

        demo.load(start, [saved, chosen], [lang, *localized, turns, current, chat, convos],
                  show_progress="hidden")

        def pick(convo_id: str, store: list[dict], code: str) -> tuple:
            found = next((c for c in store or [] if c["id"] == convo_id), None)
            if not found:
                return (gr.update(),) * 3
            return found["turns"], found["id"], _chat(found["turns"], code, stale_sources(qa, found["turns"], code))

        convos.input(pick, [convos, saved, lang], [turns, current, chat], show_progress="hidden", queue=False)

        def new_convo() -> tuple:
            return [], "", _chat([], "en"), gr.update(value=None)

        new_btn.click(new_convo, None, [turns, current, chat, convos], show_progress="hidden", queue=False)

        def drop_convo(convo_id: str, store: list[dict], code: str) -> tuple:
            if not convo_id:  # not confirmed, or nothing saved yet
                return (gr.update(),) * 5
            store = [c for c in store or [] if c["id"] != convo_id]
            return store, [], "", _chat([], code), gr.update(choices=convo_choices(store, code), value=None)

        # the inputs are all in the page (no gr.State): the confirm step in the browser hands them on
        del_convo.click(drop_convo, [convos, saved, ui_lang], [saved, turns, current, chat, convos],
                        show_progress="hidden", queue=False, js=CONFIRM.format(key="confirm_chat"))

        # -- asking ----------------------------------------------------------------------------------
        # while an answer is written everything that would start another waits, and only Stop is active
        locks = [question, ask_btn, regen_btn, edit_btn, *example_btns, new_btn, del_convo, convos, stop_btn]
        busy = (*(gr.update(interactive=False),) * (len(locks) - 1), gr.update(interactive=True))
        free = (*(gr.update(interactive=True),) * (len(locks) - 1), gr.update(interactive=False))

        def freed(suggested: list[str]) -> tuple:
            """`free`, with the example buttons asking the questions suggested after an answer (when it has some)."""
            if not suggested:
                return free
            first = locks.index(example_btns[0])
            offers = [gr.update(value=q, visible=True, interactive=True) for q in suggested[:EXAMPLES]]
            offers += [gr.update(visible=False)] * (EXAMPLES - len(offers))
            return (*free[:first], *offers, *free[first + EXAMPLES:])

        def echo(q: str, past: list[dict], code: str) -> tuple:
            """The question shows at once, with the first step, before any work is queued; asking again waits
            until this answer is done (or stopped)."""
            if not (q or "").strip():
                return gr.update(), gr.update(), {}, *free
            step = progress_html(code, texts(code).searching, [])
            msgs = _chat(past, code, tail=({"role": "user", "content": _question(q.strip())},
                                           {"role": "assistant", "content": step}))
            return msgs, "", {"q": q.strip(), "run": uuid.uuid4().hex}, *busy

        pending = gr.State({})  # the question being answered, and its run id

        def suggestions(ans: Answer, past: list[dict], code: str) -> list[str]:
            """Questions to ask next, in the UI's language, from the dispatches the answer cites (none after a
            refusal)."""
            try:
                return qa.follow_up_questions(ans, [x["standalone"] or x["q"] for x in past], EXAMPLES, code)
            except DispatchQAError:  # the index went away since: the status line says so
                return []

        def answer(run: dict, past: list[dict], convo_id: str, store: list[dict], code: str, d_from: str, d_to: str,
                   lang_sel: list[str], src: str, k_val: float, as_of_day: str) -> Iterator[tuple]:
            q, run_id = (run or {}).get("q", ""), (run or {}).get("run", "")
            if not q or run_id in STOPPED:  # stopped before it began: the stop button already said so
                return
            t = texts(code)
            agencies = [s.strip() for s in (src or "").split(",") if s.strip()]
            kw = {"filters": {"date_from": (d_from or "").strip(), "date_to": (d_to or "").strip(),
                              "lang": lang_sel or [], "source": agencies},
                  "k": int(k_val), "history": [(x["standalone"], x["text"]) for x in past[-3:]],
                  "as_of": (as_of_day or "").strip() or None}
            events: queue.Queue = queue.Queue()
            threading.Thread(target=_stream, args=(qa, q, kw, events, run_id), daemon=True).start()
            asked, drawn = {"role": "user", "content": _question(q)}, _messages(past, code)
            step, shown, sources, began = t.searching, [], [], time.monotonic()
            try:
                while True:
                    try:
                        kind, value, n = events.get(timeout=TICK)
                    except queue.Empty:  # nothing new: the elapsed time still moves
                        kind = "tick"
                    if kind == "status":
                        step = {"searching": t.searching, "found": t.found.format(n=n),
                                "queued": t.queued.format(n=n)}.get(value, t.writing)
                    elif kind == "sources":
                        sources = value
                    elif kind == "sentence":
                        shown.append(value)
                    elif kind == "error":
                        text = t.busy if isinstance(value, Busy) else str(value) if isinstance(
                            value, DispatchQAError) else t.error.format(kind=type(value).__name__)
                        if not isinstance(value, DispatchQAError):
                            log.error("answering failed", exc_info=value)
                        failed = _chat(past, code, tail=(asked, {"role": "assistant",
                                                                 "content": message_html(code, text)}))
                        yield failed, *(gr.update(),) * 5, *free
                        return
                    elif kind == "answer":
                        break
                    if run_id in STOPPED:
                        return
                    live = progress_html(code, step, shown, sources, time.monotonic() - began)
                    yield _chat(past, code, tail=(asked, {"role": "assistant", "content": live}), drawn=drawn), \
                        *(gr.update(),) * 5, *busy
                ans = value
                if run_id in STOPPED:
                    return
                anchor = f"dqa-{uuid.uuid4().hex[:8]}"
                turn = {"q": q, "html": {c: answer_html(ans, c, anchor, qa.dispatch_passages) for c in LANGS},
                        "md": {c: answer_markdown(ans, c) for c in LANGS}, **_judged(ans, kw)}
                past = [*past, turn]
                convo_id = convo_id or uuid.uuid4().hex[:12]
                store = [c for c in store or [] if c["id"] != convo_id]
                store.append({"id": convo_id, "title": past[0]["q"][:60], "turns": past})
                yield (_chat(past, code), past, convo_id, store,
                       gr.update(choices=convo_choices(store, code), value=convo_id), status_html(qa, code),
                       *freed(suggestions(ans, past, code)))
            finally:  # the page went away or Gradio cancelled this event: the model stops too
                running = RUNNING.get(run_id)
                if running is not None:
                    running.cancel()

        ask_inputs = [pending, turns, current, saved, lang, date_from, date_to, langs, source, k, as_of]
        ask_outputs = [chat, turns, current, saved, convos, status, *locks]
        echo_outputs = [chat, question, pending, *locks]
        runs = []

        def then_answer(shown: Any) -> None:
            """After an event that showed the question: answer it (the stop button cancels these runs)."""
            runs.append(shown.then(answer, ask_inputs, ask_outputs, show_progress="hidden", api_name=False,
                                   trigger_mode="multiple"))

        for trigger in (question.submit, ask_btn.click):
            then_answer(trigger(echo, [question, turns, lang], echo_outputs, show_progress="hidden", queue=False,
                                api_name=False))

        def stopped(msgs: list[dict], past: list[dict], code: str, run: dict) -> tuple:
            """Stop: the model stops; what was shown stays, marked as stopped, and joins the conversation."""
            run_id = (run or {}).get("run", "")
            STOPPED.add(run_id)
            running = RUNNING.get(run_id)
            if running is not None:
                running.cancel()
            if len(msgs or []) < 2 or msgs[-1].get("role") != "assistant" or "dqa-status" not in _content(msgs[-1]):
                return gr.update(), gr.update(), *free
            question = (run or {}).get("q", "")
            ans = _stopped_answer(running)
            if ans is not None:  # what was shown, with its markers and its sources' cards
                anchor = f"dqa-{uuid.uuid4().hex[:8]}"
                turn = {"q": question, "html": {c: _stopped_note(c) + answer_html(ans, c, anchor, qa.dispatch_passages)
                                                for c in LANGS}, "md": {c: answer_markdown(ans, c) for c in LANGS},
                        **_judged(ans, {})}
            else:  # nothing shown yet: the step it was at goes (a stopped answer must not look as if it went on)
                partial = re.sub(r'<p class="dqa-status" role="status">.*?</p>', _stopped_note(code),
                                 _content(msgs[-1]), count=1, flags=re.S)
                turn = {"q": question, "html": partial, "text": "", "standalone": question}
            past = [*past, turn]
            return _chat(past, code), past, *free

        stop_btn.click(stopped, [chat, turns, lang, pending], [chat, turns, *locks], cancels=runs,
                       show_progress="hidden", queue=False, api_name=False)

        def export_file(past: list[dict], code: str) -> Any:
            """The conversation on screen as a Markdown file, in the UI's language; none before an answer."""
            if not past:
                return gr.update(value=None, interactive=False)
            path = Path(EXPORTS.name) / uuid.uuid4().hex[:12] / texts(code).export_file
            path.parent.mkdir()
            path.write_text(conversation_markdown(past, code), encoding="utf-8")
            return gr.update(value=str(path), interactive=True)

        for changed in (turns.change, lang.change):
            changed(export_file, [turns, lang], export_btn, show_progress="hidden", queue=False, api_name=False)

        def regenerate(past: list[dict], code: str) -> tuple:
            if not past:
                return gr.update(), gr.update(), {}, *free
            msgs, _, run, *locked = echo(past[-1]["q"], past[:-1], code)
            return past[:-1], msgs, run, *locked

        then_answer(regen_btn.click(regenerate, [turns, lang], [turns, chat, pending, *locks],
                                    show_progress="hidden", queue=False, api_name=False))

        def edit_last(past: list[dict], code: str) -> tuple:
            if not past:
                return gr.update(), gr.update(), gr.update()
            return past[:-1], _chat(past[:-1], code), past[-1]["q"]

        edit_btn.click(edit_last, [turns, lang], [turns, chat, question], show_progress="hidden", queue=False,
                       api_name=False)

        for btn in example_btns:
            then_answer(btn.click(echo, [btn, turns, lang], echo_outputs, show_progress="hidden", queue=False,
                                  api_name=False))

        # -- readers' verdicts: right or wrong, under each answer -------------------------------------
        def on_feedback(past: list[dict], convo_id: str, store: list[dict], code: str, evt: gr.LikeData) -> tuple:
            """Keep the verdict on the server (the latest per answer counts; unmarking takes it back) and with
            the conversation in the browser."""
            i = evt.index if isinstance(evt.index, int) else evt.index[0]
            turn = past[i // 2] if 0 <= i // 2 < len(past or []) else None
            if turn is None or not turn.get("text"):  # not an answer (an error, a step, a stop before any)
                return gr.update(), gr.update()
            verdict = {True: "right", False: "wrong"}.get(evt.liked)
            try:
                feedback.record(feedback.feedback_path(settings), feedback.Verdict(
                    question=turn["q"], standalone=turn.get("standalone") or turn["q"], answer=turn["text"],
                    # (a conversation saved before verdicts were kept has no language nor refusal flag)
                    lang=turn.get("lang") or code, refused=turn.get("refused", not turn.get("cites")),
                    verdict=verdict, as_of=turn.get("as_of", ""),
                    filters=turn.get("filters", {}),
                    sources=[feedback.Source(**src) for src in turn.get("sources", [])]))
            except DispatchQAError as exc:
                gr.Warning(texts(code).feedback_failed.format(why=exc))
                return gr.update(), gr.update()
            past = [*past[:i // 2], {**turn, "verdict": verdict}, *past[i // 2 + 1:]]
            store = [{**c, "turns": past} if c["id"] == convo_id else c for c in store or []]
            return past, store

        chat.like(on_feedback, [turns, current, saved, lang], [turns, saved], show_progress="hidden", queue=False,
                  api_name=False)

        # -- programmatic: the checked answer as text and HTML (gradio_client, scripts) -----------------
        def ask_api(q: str, code: str = "en") -> tuple[str, str]:
            try:
                ans = qa.ask(q)
            except DispatchQAError as exc:  # the reason, not Gradio's bare "Error"
                raise gr.Error(str(exc), print_exception=False) from exc
            return ans.text, answer_html(ans, code if code in LANGS else "en", "api", qa.dispatch_passages)

        gr.Button(visible=False).click(ask_api, [gr.Textbox(visible=False), gr.Textbox(visible=False)],
                                       [gr.Textbox(visible=False), gr.HTML(visible=False)], api_name="ask")

        # -- dispatches ------------------------------------------------------------------------------
        def table(code: str) -> dict[str, list]:
            """The dispatches table with its headers, both in the UI's language (a bare list of rows would take
            the headers the table was built with)."""
            return {"headers": headers(texts(code)), "data": dispatch_rows(qa, code, can_write)}

        def do_ingest(uploaded: list | None, path: str, code: str, progress: gr.Progress = gr.Progress()) -> tuple:
            t = texts(code)
            if not can_write:
                return t.read_only, status_html(qa, code), table(code)
            paths = [f if isinstance(f, str) else f.name for f in (uploaded or [])]
            try:
                roots = ingest_roots(qa)
            except DispatchQAError:  # no index to learn the folders from: uploads (and the setting) only
                roots = [Path(r).resolve() for r in qa.settings.ui_ingest_roots]
            if (path or "").strip():
                target = Path(path.strip()).expanduser().resolve()
                if not any(target == r or r in target.parents for r in roots):
                    refused = t.folder_refused.format(roots=", ".join(map(str, roots))) if roots else t.folder_none
                    return refused, status_html(qa, code), table(code)
                paths.append(str(target))
            if not paths:
                return t.choose_files, status_html(qa, code), table(code)
            try:
                # a link inside an allowed folder may not lead out of it: files are read within the roots
                # (and the uploads' own folder)
                within = roots + [Path(p).resolve().parent for p in paths[:len(uploaded or [])]]
                report = qa.ingest(paths, progress=lambda frac, text: progress(frac, desc=text), within=within)
            except DispatchQAError as exc:
                return f"⚠️ {exc}", status_html(qa, code), table(code)
            return "```\n" + ingest_summary(report, code) + "\n```", status_html(qa, code), table(code)

        def delete_pressed(code: str, evt: gr.SelectData) -> Any:
            """A press on a row's delete cell asks to delete that row's dispatch (other cells do nothing)."""
            row = evt.row_value or []
            if evt.index[1] != len(row) - 1 or not row[-1] or not can_write:
                return gr.update()
            return str(row[0])

        def do_delete(dispatch_id: str, code: str) -> tuple:
            """Delete once confirmed; the request is cleared either way, so the same row can be pressed again."""
            t = texts(code)
            dispatch_id = (dispatch_id or "").strip()
            if not dispatch_id:  # not confirmed, or the request just cleared
                return gr.update(), gr.update(), gr.update(), ""
            if not can_write:
                return t.read_only, status_html(qa, code), table(code), ""
            try:
                n = qa.delete(dispatch_id)
            except DispatchQAError as exc:
                return f"⚠️ {exc}", status_html(qa, code), table(code), ""
            msg = t.deleted.format(n=n, id=dispatch_id) if n else t.no_dispatch.format(id=dispatch_id)
            return msg, status_html(qa, code), table(code), ""

        ingest_btn.click(do_ingest, [files, folder, lang], [ingest_out, status, listing], api_name=False)
        listing.select(delete_pressed, [lang], [del_id], show_progress="hidden", queue=False, api_name=False)
        del_id.change(do_delete, [del_id, ui_lang], [ingest_out, status, listing, del_id], api_name=False,
                      js=CONFIRM.format(key="confirm_dispatch"))
    return demo


def serve(qa: Assistant, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True,
          quiet: bool = False) -> gr.Blocks:
    """Build and launch the UI; with block=False it returns the running app (tests close it). Open to the
    network without a password, it says so at start: questions only, and uploads bounded like any file."""
    host = bound_host(host)
    demo = build(qa, host)
    if not writable(qa.settings, host):
        log.warning("The web UI listens on %s, beyond this computer, without a password: anyone who can reach "
                    "it may ask; ingest and delete are off. Set ui_username and ui_password to open them.", host)
    # every question waiting for the model is in our queue (it says how many are ahead; Gradio's would not)
    demo.queue(default_concurrency_limit=qa.settings.max_waiting + qa.settings.embedded_slots + 1)
    demo.launch(server_name=host, server_port=port, auth=auth, show_error=False, css=CSS, head=head(),
                prevent_thread_lock=not block, quiet=quiet, footer_links=[], share=False,
                max_file_size=int(qa.settings.max_file_mb * 1e6))
    if qa.settings.watch_folder:
        _watch_in_background(qa, demo)
    return demo


def _watch_in_background(qa: Assistant, demo: gr.Blocks) -> None:
    """The watch_folder setting: a thread ingests what lands in the folder while the UI runs (it stops with it)."""
    from rag.apps.watch import watch
    folder, stop = Path(qa.settings.watch_folder), threading.Event()
    if not folder.is_dir():
        log.warning("watch_folder %s is not a folder; nothing is watched.", folder)
        return
    close = demo.close

    def closing() -> None:
        stop.set()
        close()

    demo.close = closing  # type: ignore[method-assign]
    threading.Thread(target=watch, args=(qa, folder, lambda r: log.info("watch_folder: %s", r.summary()), stop),
                     daemon=True, name="dqa-watch").start()


def main() -> None:
    settings = Settings.load()
    qa = Assistant.open(settings=settings)
    qa.llm  # noqa: B018 - pick the backend now so the status line says who answers
    print(qa.llm_notice)
    auth = (settings.ui_username, settings.ui_password) if settings.ui_username else None
    serve(qa, settings.ui_host, settings.ui_port, auth=auth)


if __name__ == "__main__":
    main()
