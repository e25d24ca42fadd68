"""Bad input of every kind gets a 4xx JSON error naming the problem; none gets a 500."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

JSON = {"Content-Type": "application/json"}


def _get(path: str, query: str) -> tuple[str, str, dict[str, Any]]:
    return ("GET", f"{path}?{query}", {})


def _post(body: bytes, headers: dict[str, str] | None = None) -> tuple[str, str, dict[str, Any]]:
    return ("POST", "/ask", {"content": body, "headers": JSON if headers is None else headers})


# (request, expected status, field named in the error or None)
BAD_REQUESTS: list[tuple[tuple[str, str, dict[str, Any]], int, str | None]] = [
    (_get("/search", ""), 400, "q"),
    (_get("/search", "q="), 400, "q"),
    (_get("/search", "q=%20%20%09"), 400, "q"),
    (_get("/search", "q=%00%01%7F"), 400, "q"),
    (_get("/search", "q=%E2%80%8B"), 400, "q"),  # a zero-width space alone
    (_get("/search", "q=" + "a" * 1001), 400, "q"),
    (_get("/search", "q=ok&k=0"), 400, "k"),
    (_get("/search", "q=ok&k=51"), 400, "k"),
    (_get("/search", "q=ok&k=-3"), 400, "k"),
    (_get("/search", "q=ok&k=ten"), 400, "k"),
    (_get("/search", "q=ok&k=2.5"), 400, "k"),
    (_get("/search", "q=ok&k="), 400, "k"),
    (_get("/search", "q=ok&k=99999999999999999999999"), 400, "k"),
    (_get("/search", "q=ok&mode=semantic"), 400, "mode"),
    (_get("/search", "q=ok&mode="), 400, "mode"),
    (_get("/search", "q=ok&date_from=2023-02-30"), 400, "date_from"),
    (_get("/search", "q=ok&date_from=yesterday"), 400, "date_from"),
    (_get("/search", "q=ok&date_to=2023-13-05"), 400, "date_to"),  # written dates are read (2023-1-5 is 5 Jan)
    (_get("/search", "q=ok&date_to="), 400, "date_to"),  # sent but empty: the spec promises a date
    (_get("/search", "q=ok&article_id=" + "x" * 201), 400, "article_id"),
    (_get("/search", "q=%FF%FE"), 400, None),  # not UTF-8
    (_get("/search", "q=%C3"), 400, None),  # a truncated UTF-8 sequence
    (_get("/ask", ""), 400, "q"),
    (_get("/ask", "q=%20"), 400, "q"),
    (_get("/ask", "q=ok&k=0"), 400, "k"),
    (_get("/ask", "q=ok&k=51"), 400, "k"),
    (_get("/ask", "q=" + "b" * 1001), 400, "q"),
    (_post(b""), 400, None),
    (_post(b"{"), 400, None),
    (_post(b'{"question": "x"'), 400, None),
    (_post(b"not json"), 400, None),
    (_post(b"[]"), 400, "body"),
    (_post(b"null"), 400, "body"),
    (_post(b'"a question"'), 400, "body"),
    (_post(b"{}"), 400, "question"),
    (_post(b'{"question": 5}'), 400, "question"),
    (_post(b'{"question": null}'), 400, "question"),
    (_post(b'{"question": ["a"]}'), 400, "question"),
    (_post(b'{"question": "   "}'), 400, "question"),
    (_post(b'{"question": "\\u0000\\u0001"}'), 400, "question"),
    (_post(json.dumps({"question": "c" * 1001}).encode()), 400, "question"),
    (_post(b'{"question": "ok", "k": 0}'), 400, "k"),
    (_post(b'{"question": "ok", "k": 51}'), 400, "k"),
    (_post(b'{"question": "ok", "k": 1.5}'), 400, "k"),
    (_post(b'{"question": "ok", "k": true}'), 400, "k"),
    (_post(b'{"question": "\xff\xfe"}'), 400, None),  # invalid UTF-8 in the body
    (_post(b'{"question": "ok"}', {"Content-Type": "text/plain"}), 415, None),
    (_post(b'{"question": "ok"}', {"Content-Type": "application/x-www-form-urlencoded"}), 415, None),
    (_post(b'{"question": "ok"}', {}), 415, None),
    (_post(b'{"question": "' + b"d" * 20_000 + b'"}'), 413, None),
    (("DELETE", "/search?q=ok", {}), 405, None),
    (("PUT", "/ask", {"content": b"{}", "headers": JSON}), 405, None),
    (("GET", "/articles/", {}), 404, None),
]


def test_every_bad_request_gets_its_4xx_and_never_a_500(client: TestClient[Litestar]) -> None:
    failures = []
    for (method, url, kwargs), status, field in BAD_REQUESTS:
        response = client.request(method, url, **kwargs)
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        ok = (
            response.status_code == status
            and set(body) >= {"error", "detail"}
            and (field is None or body.get("field") == field)
            and (field is None or field in body["detail"])
            and "Traceback" not in response.text
        )
        if not ok:
            failures.append((method, url[:80], response.status_code, response.text[:200]))
    assert failures == [], "\n".join(map(str, failures))


def test_body_limit_is_16_kib_for_the_body_not_the_question(client: TestClient[Litestar]) -> None:
    question = "e" * 900
    padded = json.dumps({"question": question, "k": 5}).encode()
    just_under = padded[:-1] + b" " * (16 * 1024 - len(padded)) + b"}"
    assert len(just_under) == 16 * 1024
    assert client.post("/ask", content=just_under, headers=JSON).status_code == 200
    over = padded[:-1] + b" " * (16 * 1024 - len(padded) + 1) + b"}"
    assert client.post("/ask", content=over, headers=JSON).status_code == 413


def test_unicode_queries_are_ordinary(client: TestClient[Litestar]) -> None:
    for query in ["Кто возглавлял делегацию?", "代表团团长是谁", "من قاد الوفد؟", "🎓 university 🇷🇺", "naïve café"]:
        for path in ("/search", "/ask"):
            response = client.get(path, params={"q": query})
            assert response.status_code == 200, (query, response.text)
        body = client.post("/ask", json={"question": query}).json()
        assert body["question"] == query


def test_queries_are_trimmed_nfc_normalised_and_stripped_of_control_characters(client: TestClient[Litestar]) -> None:
    decomposed = "cafe\u0301"  # "café" as e + combining acute accent
    body = client.get("/search", params={"q": f"  \t{decomposed}\x00 office\x1b\n"}).json()
    assert body["query"] == unicodedata.normalize("NFC", "café office")
    assert client.post("/ask", json={"question": "a\u0000b\nc"}).json()["question"] == "ab c"


def test_query_length_limit_counts_characters_as_sent(client: TestClient[Litestar]) -> None:
    # Characters, not bytes; counted as sent, so the OpenAPI maxLength states the rule exactly.
    assert client.get("/search", params={"q": "я" * 1000}).status_code == 200
    assert client.get("/search", params={"q": " " + "z" * 998 + " "}).status_code == 200
    assert client.get("/search", params={"q": "  " + "z" * 998 + "  "}).status_code == 400
    assert client.get("/search", params={"q": "z" * 1000 + "\x00"}).status_code == 400
    assert client.get("/search", params={"q": "z" * 1001}).status_code == 400


@pytest.mark.parametrize("k", ["1", "50"])
def test_k_bounds_are_inclusive(client: TestClient[Litestar], k: str) -> None:
    assert client.get("/search", params={"q": "office", "k": k}).status_code == 200
    assert client.post("/ask", json={"question": "office", "k": int(k)}).status_code == 200


def test_an_inverted_date_range_matches_nothing(client: TestClient[Litestar]) -> None:
    response = client.get("/search", params={"q": "office", "date_from": "2024-01-02", "date_to": "2024-01-01"})
    assert response.status_code == 200 and response.json()["hits"] == []
