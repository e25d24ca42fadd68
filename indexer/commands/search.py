"""``polysearch search``: the passages that best match a query, as text or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import msgspec

from indexer.commands.options import DEFAULT_INDEX, positive_int
from indexer.models import SEARCH_MODES, Hit


def register_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("search", help="print the passages that best match a query")
    parser.add_argument("query", help="what to search for, in any language")
    parser.add_argument("-k", type=positive_int, default=5, help="number of passages (default 5)")
    parser.add_argument(
        "--mode",
        choices=SEARCH_MODES,
        default="hybrid",
        help="dense: the model's meaning; keyword: BM25 terms; hybrid (default): both, fused",
    )
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default index)")
    parser.add_argument("--json", action="store_true", help="print hits as a JSON list")
    parser.set_defaults(handler=run_search)


def hit_record(hit: Hit) -> dict[str, object]:
    """A hit flattened to the citation fields every consumer (CLI, HTTP, eval) prints."""
    passage = hit.passage
    return {
        "rank": hit.rank,
        "score": hit.score,
        "scores": msgspec.to_builtins(hit.scores),
        "passage_id": passage.id,
        "article_id": passage.article_id,
        "title": passage.title,
        "date": passage.date,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "url": passage.url,
        "lang": passage.lang,
    }


def run_search(args: argparse.Namespace) -> int:
    from indexer.search.retriever import Retriever

    retriever = Retriever.open(args.index)
    query = retriever.read(args.query)
    hits = retriever.search(query, k=args.k, mode=args.mode)
    reading = query.reading(args.mode)
    if args.json:
        # Each hit says how its query was read, so the output stays a plain list of hits.
        extra = {"query_lang": reading.lang, "dense_used": reading.dense}
        print(json.dumps([hit_record(hit) | extra for hit in hits], ensure_ascii=False, indent=2))
        return 0
    if args.mode != "keyword" and not reading.dense:
        covered = ", ".join(sorted(retriever.languages))
        print(f"query read as {reading.lang}; ranked by keywords alone (the model covers {covered})\n")
    if not hits:
        print("no passages match")
    for hit in hits:
        passage = hit.passage
        print(f"{hit.rank}. {passage.title} ({passage.date or 'undated'})  [{passage.id}]  score {hit.score:.4f}")
        print(f"   {passage.text}\n")
    return 0
