"""``polysearch ask``: one cited answer sentence, or an abstention and its reason, as text or JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec

from indexer.commands.options import DEFAULT_INDEX, positive_int
from indexer.commands.search import hit_record
from indexer.models import SEARCH_MODES, Article, AskResult, QueryReading, SearchFilters, TimeReading
from indexer.text.dates import parse_date

DATE_FORMS = "ISO (2020-10-05) or as written (17 июля 2025, 05.10.2020, June 1, 2023)"


def date_option(text: str) -> dt.date:
    date = parse_date(text)
    if date is None:
        raise argparse.ArgumentTypeError(f"expected a date, {DATE_FORMS}; got {text!r}")
    return date


def register_ask(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("ask", help="answer a question with one cited sentence, or say why not")
    parser.add_argument("question", help="the question, in any language")
    parser.add_argument("-k", type=positive_int, default=5, help="passages to answer from (default 5)")
    parser.add_argument(
        "--mode",
        choices=SEARCH_MODES,
        default="hybrid",
        help="how the passages are found: dense, keyword or hybrid (default; the answerer was tuned on it)",
    )
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default index)")
    parser.add_argument("--date-from", type=date_option, help=f"earliest article date, inclusive: {DATE_FORMS}")
    parser.add_argument("--date-to", type=date_option, help=f"latest article date, inclusive: {DATE_FORMS}")
    parser.add_argument(
        "--now", type=date_option, help="the day 'last year' and 'this spring' are read against (default today)"
    )
    parser.add_argument(
        "--no-time-reading", action="store_true", help="read no dates or 'latest' from the question's words"
    )
    parser.add_argument("--json", action="store_true", help="print the record GET /ask returns")
    parser.set_defaults(handler=run_ask)


def interpreted_record(time: TimeReading) -> dict[str, object]:
    """What the question said about time, as ``/search`` and ``/ask`` report it."""
    return {
        "date_from": time.date_from.isoformat() if time.date_from else None,
        "date_to": time.date_to.isoformat() if time.date_to else None,
        "recency": time.recency,
        "text": time.text,
        "filter": time.filter,
    }


def ask_record(
    result: AskResult,
    *,
    index_version: str,
    took_ms: float,
    reading: QueryReading,
    time: TimeReading | None = None,
    also_in: Sequence[Article] = (),
) -> dict[str, object]:
    """The answer as the HTTP ``/ask`` returns it: the answer's url is its cited passage's; ``also_in``
    the other versions of its story."""
    versions = [{"article_id": a.id, "lang": a.lang, "title": a.title, "url": a.url, "date": a.date} for a in also_in]
    answer = (
        None
        if result.answer is None
        else msgspec.to_builtins(result.answer) | {"url": answer_url(result), "also_in": versions}
    )
    return {
        "question": result.question,
        "answer": answer,
        "abstained": result.abstained,
        "citations": [hit_record(hit) for hit in result.citations],
        "index_version": index_version,
        "took_ms": took_ms,
        "query_lang": reading.lang,
        "dense_used": reading.dense,
        "reason": result.reason,
        "interpreted": interpreted_record(time or TimeReading()),
    }


def run_ask(args: argparse.Namespace) -> int:
    from indexer.answer.answerer import Answerer
    from indexer.search.retriever import Retriever

    retriever = Retriever.open(args.index)
    started = time.perf_counter()
    query = retriever.read(args.question, today=args.now, infer_dates=not args.no_time_reading)
    filters = None
    if args.date_from is not None or args.date_to is not None:
        filters = SearchFilters(date_from=args.date_from, date_to=args.date_to)
    result = Answerer(retriever).ask(query, k=args.k, filters=filters, mode=args.mode)
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    reading = query.reading(args.mode)
    if args.json:
        answered = result.answer.article_id if result.answer is not None else ""
        others = [retriever.article(v) for v in retriever.versions.get(answered, ()) if v != answered]
        record = ask_record(
            result, index_version=retriever.version, took_ms=took_ms, reading=reading, time=query.time, also_in=others
        )
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    if args.mode != "keyword" and not reading.dense:
        covered = ", ".join(sorted(retriever.languages))
        print(f"question read as {reading.lang}; passages found by keywords alone (the model covers {covered})\n")
    print("\n".join(answer_lines(result)))
    return 0


def answer_lines(result: AskResult) -> list[str]:
    """The answer, where it comes from (the article's page, if it has one) and the confidence; or why not."""
    answer = result.answer
    if answer is None:
        lines = [f"No answer: {result.reason or 'the passages found do not answer the question'}."]
        if result.citations:
            lines.append("Closest passages:")
        for hit in result.citations:
            lines.append(f"  {hit.rank}. {hit.passage.title} ({hit.passage.date or 'undated'})  [{hit.passage.id}]")
        return lines
    lines = [answer.text, f"  from: {answer.title} ({answer.date or 'undated'})  [{answer.passage_id}]"]
    if url := answer_url(result):
        lines.append(f"  {url}")
    lines.append(f"  confidence {answer.confidence:.2f}")
    return lines


def answer_url(result: AskResult) -> str | None:
    """The answer's page: its passage is among the citations, which carry the url."""
    answer = result.answer
    if answer is None:
        return None
    return next((hit.passage.url for hit in result.citations if hit.passage.id == answer.passage_id), None)
