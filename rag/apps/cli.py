"""Thin command line: ingest / ask / delete / list / stats / eval / bench / serve."""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from rag import Decision
from rag.apps.bench import SECTIONS as BENCH_SECTIONS
from rag.apps.evaluation import SPLITS
from rag.errors import DispatchQAError, EmptyIndex


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML settings file (default: $DQA_CONFIG or ./dispatchqa.toml)")
    p.add_argument("--index", dest="index_dir", help="index folder (default: index/)")
    p.add_argument("--now", help="the time embargoes are checked against, ISO 8601 (default: the computer's "
                                 "clock; the `now` setting)")


def _sections(value: str) -> list[str]:
    """Benchmark sections named on the command line: 'ingest,throughput' or one per --skip."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCH_SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section {', '.join(unknown)}; "
                                         f"choose from {', '.join(BENCH_SECTIONS)}")
    return names


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {"date_from": args.date_from or "", "date_to": args.date_to or "",
            "lang": args.lang or [], "source": args.source or []}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dispatch-qa", description="Cited question answering over news dispatches.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("ingest", help="index dispatch files or folders")
    p.add_argument("paths", nargs="+")
    _common(p)

    p = sub.add_parser("ask", help="ask a question; prints the answer and its cited passages")
    p.add_argument("question")
    p.add_argument("--k", type=int, help="passages given to the model")
    p.add_argument("--date-from")
    p.add_argument("--date-to")
    p.add_argument("--lang", action="append", choices=["fr", "en"])
    p.add_argument("--source", action="append")
    p.add_argument("--as-of", help="date 'hier', 'last week'... count from (YYYY-MM-DD); later dispatches are ignored")
    p.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    p.add_argument("--stream", action="store_true", help="print tokens as they come")
    _common(p)

    p = sub.add_parser("delete", help="remove a dispatch by id")
    p.add_argument("dispatch_id")
    _common(p)

    for name, text in (("list", "list indexed dispatches"), ("stats", "index and model status")):
        _common(sub.add_parser(name, help=text))

    p = sub.add_parser("chat", help="interactive chat in the terminal (follow-up questions keep context)")
    _common(p)

    p = sub.add_parser("eval", help="run a question set; writes report.json, report.md and report.png")
    p.add_argument("questions", nargs="?", help="JSONL question set (see README, 'Question sets')")
    p.add_argument("--squad", help="a SQuAD-format file (e.g. PIAF) instead: its paragraphs become the corpus")
    p.add_argument("--corpus", default="eval/corpus", help="dispatches to ingest first (default eval/corpus)")
    p.add_argument("--k", type=int, default=8, help="passages per question (default 8)")
    p.add_argument("--out", help="report folder (default eval/reports/<set name>, or <set name>-<split>)")
    p.add_argument("--limit", type=int, help="only this many questions (a fixed random sample for --squad)")
    p.add_argument("--split", choices=list(SPLITS), help="with --squad: the fixed 100-question sample, or one "
                   "half of the other questions (tune on 'tune', report on 'heldout'), or a fixed part of heldout "
                   "sized for the decision: heldout-100 day to day (+/-0.09), heldout-300 to close an issue")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only, no generation")
    p.add_argument("--answer-removed", action="store_true", help="ask each answerable question with the dispatch "
                   "holding its answer left out of the search: the right reply is a refusal (near misses; report "
                   "folder <set name>[-<split>]-answer-removed)")
    p.add_argument("--compare-llama-index", nargs="?", type=int, const=0, default=None, metavar="N",
                   help="also score a plain LlamaIndex VectorStoreIndex over our Chroma collection beside our "
                   "retriever, and (when answers are generated) its default query engine, written by the same "
                   "model, beside our answers, on N questions spread over the set (default: all)")
    p.add_argument("--compare", metavar="REPORT_JSON", help="an earlier run's report.json: list the questions "
                   "whose answer changed")
    p.add_argument("--without", metavar="CHECK[,CHECK...]", help="leave these checks out (ablation; "
                   "docs/checks.md lists them)")
    p.add_argument("--generations", help="JSONL generation cache: model output asked before is read from it, "
                   "new output appended (default: generations.jsonl in the report folder)")
    p.add_argument("--workers", type=int, default=1, help="questions answered at once, each by a process with "
                   "its own model and a share of the cores (default 1)")
    p.add_argument("--report-only", action="store_true", help="write the reports from the results kept so far "
                   "(results.jsonl in the report folder), asking nothing")
    _common(p)

    p = sub.add_parser("judge", help="agreement of the answer checks with labelled (sentence, passage, label) rows")
    p.add_argument("pairs", nargs="?", help="JSONL: {sentence, passage, label, question?, kind?} per line")
    p.add_argument("--squad", help="build the rows from a SQuAD-format file instead (rag/apps/labelled.py): a "
                   "right row, another question's answer over the same passage, and an answer from another article, "
                   "per question")
    p.add_argument("--split", choices=list(SPLITS), default="heldout",
                   help="with --squad: the split whose questions make the rows (default heldout)")
    p.add_argument("--limit", type=int, help="with --squad: this many questions (a fixed random sample)")
    p.add_argument("--save", help="also write the rows, with what the suite decided and each check's verdict, to "
                   "this JSONL file (to read the errors, or judge the rows again)")
    p.add_argument("--without", metavar="CHECK[,CHECK...]", help="leave these checks out (ablation)")
    p.add_argument("--generations", help="JSONL cache of the model's answers to the verifier's questions")
    _common(p)

    p = sub.add_parser("calibrate", help="train the calibrated answer decision on the sentences of evaluation runs "
                       "(their results.jsonl, run with DQA_ANSWER_DECISION=calibrated); prints each feature's weight")
    p.add_argument("results", nargs="+", help="results.jsonl files of evaluation runs (tune splits, not the "
                   "ones you report on)")
    p.add_argument("--risk", type=float, default=0.10, help="wrong among shown sentences the threshold is chosen "
                   "for, on these rows (default 0.10)")
    p.add_argument("--out", default=str(Decision.default_path), help="where to write it (default: the one the "
                   "package ships, rag/answer/data/decision.json)")

    p = sub.add_parser("bench", help="speed benchmarks: ingest, retrieval stages at scale, freshness, cold start "
                       "and memory, embedding throughput, generation (prints figures)")
    p.add_argument("--sizes", default="10000,100000,1000000", help="synthetic index sizes (retrieval, cold start)")
    p.add_argument("--queries", type=int, default=50, help="queries per retrieval measurement")
    p.add_argument("--skip", action="append", default=[], type=_sections, metavar="SECTION[,SECTION...]",
                   help=f"sections to skip ({', '.join(BENCH_SECTIONS)}); repeat it or separate with commas")

    p = sub.add_parser("watch", help="ingest a spool folder, then every file that lands in it once complete")
    p.add_argument("folder")
    p.add_argument("--quiet", type=float, default=None,
                   help="seconds a file written in place must go unchanged before it is read (default: the "
                        "watch_quiet_seconds setting, 3)")
    _common(p)

    p = sub.add_parser("serve", help="start the Gradio chat UI")
    _common(p)
    p = sub.add_parser("feedback", help="the answers readers marked right or wrong in the chat, as a question set "
                                        "for `eval`")
    p.add_argument("--out", required=True, help="question set to write (JSONL)")
    p.add_argument("--file", help="the feedback log (default: the feedback_file setting)")
    p.add_argument("--config", help="TOML settings file (default: $DQA_CONFIG or ./dispatchqa.toml)")

    p = sub.add_parser("settings", help="every setting with its value, TOML section and meaning")
    p.add_argument("--config", help="TOML settings file (default: $DQA_CONFIG or ./dispatchqa.toml)")

    p = sub.add_parser("docs", help="write the generated reference pages (docs/checks.md, docs/configuration.md)")
    p.add_argument("--out", default="docs", help="folder to write them to (default: docs)")
    return parser


# Control characters a dispatch's title, a file name or a reason may carry: printed raw, '\033]0;...\a' retitles
# the terminal and other escapes rewrite what is on screen. Tab, line feed and carriage return (the status line)
# are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class _Printable:
    """A text stream that writes everything but control characters."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(_CONTROL.sub("", text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(sys.stdout), _Printable(sys.stderr)
    try:
        return _main(args)
    finally:
        sys.stdout, sys.stderr = streams


def _main(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except DispatchQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; re-run the same command to resume.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dispatch-qa list | head`
        return 0


# Commands that read an index: a missing one is said, not made (`stats` tells where it is before any ingest).
READING = {"ask", "chat", "list", "delete"}


def _open(args: argparse.Namespace):
    from rag import Assistant, Settings
    settings = Settings.load(getattr(args, "config", None))
    folder = Path(getattr(args, "index_dir", None) or settings.index_dir)
    if args.cmd in READING and not settings.chroma_host and not folder.exists():
        raise EmptyIndex(f"There is no index at {folder}: ingest dispatches first (python -m rag ingest <folder> "
                         f"--index {folder}).")
    now = {"now": args.now} if getattr(args, "now", None) else {}
    return Assistant.open(getattr(args, "index_dir", None), settings=settings, **now)


def _run(args: argparse.Namespace) -> int:
    if args.cmd == "serve":
        if args.now:  # the UI server reads its settings itself
            os.environ["DQA_NOW"] = args.now
        if args.index_dir:
            os.environ["DQA_INDEX_DIR"] = args.index_dir
        if args.config:
            os.environ["DQA_CONFIG"] = args.config
        from rag.apps.ui import main as serve
        serve()
        return 0
    if args.cmd == "eval":
        return _eval(args)
    if args.cmd == "settings":
        return _settings(args)
    if args.cmd == "docs":
        from rag.apps.docs import write
        for path in write(Path(args.out)):
            print(f"wrote {path}")
        return 0
    if args.cmd == "judge":
        return _judge(args)
    if args.cmd == "calibrate":
        from rag.apps.calibrate import calibrate, describe
        print(describe(calibrate(args.results, args.risk, args.out)))
        print(f"\nwrote {args.out}")
        return 0
    if args.cmd == "feedback":
        return _feedback(args)
    if args.cmd == "bench":
        from rag.apps.bench import run_benchmarks
        run_benchmarks(sizes=[int(x) for x in args.sizes.split(",") if x], queries=args.queries,
                       skip=[name for names in args.skip for name in names])
        return 0
    qa = _open(args)
    if args.cmd == "ingest":
        report = qa.ingest(args.paths)
        print(report.summary())
        return 1 if report.skipped and not (report.added or report.replaced or report.unchanged) else 0
    if args.cmd == "ask":
        return _ask(qa, args)
    if args.cmd == "watch":
        return _watch(qa, args)
    if args.cmd == "delete":
        n = qa.delete(args.dispatch_id)
        print(f"deleted {n} chunks of {args.dispatch_id}" if n else f"no dispatch with id {args.dispatch_id}")
        return 0 if n else 1
    if args.cmd == "list":
        for r in qa.dispatches():
            state = "" if r["complete"] else "  [incomplete: re-run ingest or delete to finish it]"
            if r.get("earlier_versions"):
                state += f"  [{r['earlier_versions']} earlier version(s) kept]"
            if qa.embargoed(r):
                state += f"  [embargoed until {r['embargo']}]"
            cells = [r["dispatch_id"], r["date"] or "-", r["lang"], r["source"], f"{r['chunks']} chunks",
                     r["title"] + state]
            print("\t".join(cells))
        for did, w in sorted(qa.withdrawn().items()):
            print("\t".join([did, w.get("date") or "-", "-", "-", "withdrawn", f"{w.get('title', '')}  [withdrawn by a "
                             f"kill notice{' of ' + w['at'] if w.get('at') else ''}]"]))
        return 0
    if args.cmd == "stats":
        qa.llm  # noqa: B018 - resolve which backend answers, so stats can say it
        print(json.dumps({**qa.stats(), "notice": qa.llm_notice, "why": qa.llm_detail}, ensure_ascii=False,
                         indent=2))
        return 0
    if args.cmd == "chat":
        return _chat(qa)
    raise AssertionError(args.cmd)


def _feedback(args: argparse.Namespace) -> int:
    from rag import Settings
    from rag.apps.feedback import export, feedback_path, read
    path = Path(args.file) if args.file else feedback_path(Settings.load(args.config))
    done = export(read(path))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(done.jsonl(), encoding="utf-8")
    answered = sum(r["answerable"] for r in done.ready)
    print(f"wrote {out}: {len(done.ready)} questions ready ({answered} answered right, "
          f"{len(done.ready) - answered} refused right), {len(done.to_complete)} marked wrong left to complete "
          f"(commented out with //: give each its expected answer and evidence)")
    return 0


def _check_settings(args: argparse.Namespace):
    """Settings for eval and judge: --config, with --generations and --without (checks left out)."""
    from rag import Settings
    without = [c.strip() for c in (args.without or "").split(",") if c.strip()] or None
    return Settings.load(args.config, generation_cache=args.generations, checks_disabled=without)


def _judge(args: argparse.Namespace) -> int:
    import tempfile

    from rag import Assistant
    from rag.apps.evaluation import agreement_report, judge_rows, load_pairs
    from rag.apps.labelled import squad_rows
    if bool(args.pairs) == bool(args.squad):
        print("error: give a JSONL file of labelled rows, or --squad FILE to build them.", file=sys.stderr)
        return 2
    if args.squad:
        rows = [r.to_dict() for r in squad_rows(args.squad, args.split, args.limit)]
    else:
        rows = load_pairs(args.pairs)
    settings = _check_settings(args)
    with tempfile.TemporaryDirectory(prefix="dqa-judge-") as tmp:  # no index needed, only the embedder
        qa = Assistant.open(tmp, settings=settings)
        judged = judge_rows(qa, rows, progress=True)
    result = agreement_report(rows, judged)
    if args.save:
        decided = [{**r, "kept": j.supported,
                    "verdicts": [[v.check, v.ok, v.reason, v.score, v.args] for v in j.verdicts]}
                   for r, j in zip(rows, judged)]
        Path(args.save).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in decided),
                                   encoding="utf-8")
    print("\n".join(f"{k:<26} {v}" for k, v in result.items()))
    return 0


def _watch(qa, args: argparse.Namespace) -> int:
    """Until Ctrl-C: each ingest's summary, one line per batch of files that landed."""
    import threading

    from rag.apps.watch import watch
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder.", file=sys.stderr)
        return 2
    print(f"watching {folder} (Ctrl-C stops)", flush=True)
    watch(qa, folder, lambda report: print(report.summary(), flush=True), threading.Event(), args.quiet)
    return 0


def _settings(args: argparse.Namespace) -> int:
    """What each setting is, where it goes in the TOML file, and its value now (secrets hidden)."""
    from rag import Settings
    current = Settings.load(args.config)
    for section, names in Settings.sections().items():
        print(f"[{section}]")
        for name in names:
            value = getattr(current, name)
            shown = "***" if "password" in name and value else json.dumps(value, ensure_ascii=False)
            print(f"{name} = {shown}  # DQA_{name.upper()}: {Settings.model_fields[name].description}")
        print()
    return 0


def _eval(args: argparse.Namespace) -> int:
    from rag.apps.evaluation import EvalRun, run_eval
    settings = _check_settings(args)
    if args.squad is None and args.corpus == "eval/corpus" and not os.path.isdir(args.corpus):
        from rag.settings import PROJECT_ROOT
        args.corpus = str(PROJECT_ROOT / "eval" / "corpus")
    run = EvalRun(args.questions, args.squad, args.corpus, args.k, args.out, args.limit, not args.retrieval_only,
                  args.index_dir, args.split or "", args.compare_llama_index, args.workers, args.report_only,
                  answer_removed=args.answer_removed)
    summary, paths = run_eval(settings, run)
    width = max(map(len, summary))
    print("\n".join(f"{key:<{width}}  {value}" for key, value in summary.items()))
    print("reports: " + ", ".join(map(str, paths)))
    if args.compare:
        from rag.apps.evaluation import changed_answers
        changed = changed_answers(args.compare, paths[0])
        print(f"answers changed since {args.compare}: {len(changed)}")
        for qid, before, after in changed:
            print(f"  {qid}\n    before: {before}\n    after:  {after}")
    return 0


def _ask(qa, args: argparse.Namespace) -> int:
    filters = _filters(args)
    if args.stream and not args.json:
        answer = _streamed(qa, args.question, filters=filters, k=args.k, as_of=args.as_of)
        print("\n")
        print(answer.format(sources_only=True))
    else:
        answer = qa.ask(args.question, filters=filters, k=args.k, as_of=args.as_of)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2, default=str) if args.json
              else answer.format())
    if qa.llm_loaded and qa.llm_notice:
        print(qa.llm_notice, file=sys.stderr)
    return 0


def _streamed(qa, question: str, **kw: Any):
    """Print the answer's checked sentences as they pass their checks, with the current step on stderr
    while nothing is shown yet; return the Answer."""
    status = _Status()
    stream = qa.stream(question, on_status=status, **kw)
    for piece in stream:
        status.clear()
        print(piece, end=" ", flush=True)
    status.clear()
    return stream.answer


class _Status:
    """One line on stderr saying what the assistant is doing ('searching…', '4 passages found, writing…')."""

    WORDS = {"searching": "searching the dispatches…", "found": "{n} passage{s} found", "writing": "writing…",
             "queued": "{n} question{s} ahead of yours, waiting…"}

    def __init__(self) -> None:
        self.shown = ""
        self.tty = sys.stderr.isatty()

    def __call__(self, step: str, n: int = 0) -> None:
        if self.tty:
            self.clear()
            self.shown = f"[{self.WORDS.get(step, step).format(n=n, s='' if n == 1 else 's')}]"
            print(self.shown, end="\r", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.shown:
            print(" " * len(self.shown), end="\r", file=sys.stderr, flush=True)
            self.shown = ""


def _chat(qa) -> int:
    """A terminal chat: checked sentences stream as they are ready, then the sources; empty line quits.
    A follow-up ("Et au-dessus de Kalouga ?") is understood with the conversation; a new question is not."""
    history: list[tuple[str, str]] = []
    print(f"Dispatch QA — {qa.stats()['dispatches']} dispatches indexed. Ask a question (empty line to quit).")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = _streamed(qa, question, history=history[-3:])
        except DispatchQAError as exc:
            print(f"error: {exc}")
            continue
        print()
        if qa.llm_notice and not history:
            print(f"({qa.llm_notice})")
        print(answer.format(sources_only=True))
        history.append((answer.standalone_question, answer.text))
