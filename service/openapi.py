"""The OpenAPI document made exact: every error status each operation can answer, and the text rules.

Litestar documents a handler's success response and a generic validation error it never sends;
our errors have one body (``ErrorBody``) and come from several places (validation, the index
state, admission control, guards, body limits). This module states, in one table, which status
codes each operation really answers, and gives free-text parameters the constraints the service
enforces (``clean_text`` uses the same pattern), so a client generated from the spec, or
schemathesis, finds no difference between the document and the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus

from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from service.schemas import LANGS, MAX_QUERY_CHARS
from service.validation import MAX_ARTICLE_IDS, MAX_ID_CHARS, MEANINGFUL

ERROR_SCHEMA = "ErrorBody"
# Every API operation: a query string that is not UTF-8 is refused before any handler runs.
COMMON = (400,)
# Status codes each operation answers besides its success and COMMON, with what they mean.
ERRORS: Mapping[tuple[str, str], Iterable[int]] = {
    ("/search", "get"): (503,),
    ("/ask", "get"): (503,),
    ("/ask", "post"): (413, 415, 503),
    ("/articles/{article_id}", "get"): (404, 503),
    ("/articles/{article_id}/related", "get"): (404, 503),
    ("/passages/{passage_id}", "get"): (404, 503),
    ("/admin/reload", "post"): (401, 403, 409, 503),
    ("/ready", "get"): (),  # its 503 has the Readiness body, documented by the handler
    ("/health", "get"): (),
    ("/metrics", "get"): (),
    ("/feedback", "post"): (404, 413, 415, 429),
    ("/admin/insights.json", "get"): (401, 403, 404, 503),
}
MEANING = {
    400: "Invalid request: a parameter or the body breaks the rules above; `field` names it",
    401: "No bearer token was sent",
    403: "The token is wrong, or admin endpoints are disabled",
    404: "No such article or passage in the serving index, or no such logged query (or the query log is off)",
    409: "The index on disk could not be loaded; the old one keeps serving",
    413: "The body is larger than the service accepts",
    415: "The body is not JSON",
    429: "Too many requests from this address; wait as Retry-After says",
    503: "No verified index is loaded yet, or the service is at capacity (see Retry-After)",
}


def _error_schema() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "error": Schema(type=OpenAPIType.STRING, description="a stable code, e.g. invalid_request"),
            "detail": Schema(type=OpenAPIType.STRING, description="what went wrong, for people"),
            "field": Schema(type=OpenAPIType.STRING, description="the request field to blame, when there is one"),
        },
        required=["error", "detail"],
        additional_properties=False,
        title=ERROR_SCHEMA,
        description="Every error response",
    )


def _error_response(status: int) -> OpenAPIResponse:
    headers = None
    description = MEANING.get(status, HTTPStatus(status).phrase)
    return OpenAPIResponse(
        description=description,
        headers=headers,
        content={"application/json": OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{ERROR_SCHEMA}"))},
    )


def _operations(document: OpenAPI) -> Iterable[tuple[str, str, Operation]]:
    for path, item in (document.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete", "head", "options"):
            operation = getattr(item, method, None)
            if operation is not None:
                yield path, method, operation


def make_exact(document: OpenAPI) -> OpenAPI:
    """Replace each operation's error responses by those the service sends; raises on an operation it does not know."""
    assert document.components is not None
    schemas = document.components.schemas = dict(document.components.schemas or {})
    schemas[ERROR_SCHEMA] = _error_schema()
    for path, method, operation in _operations(document):
        if (path, method) not in ERRORS:
            raise KeyError(f"service/openapi.py does not say which errors {method.upper()} {path} answers")
        responses = {code: r for code, r in (operation.responses or {}).items() if int(code) < 400}
        if path == "/ready":
            ready = responses["200"]
            assert isinstance(ready, OpenAPIResponse)
            responses["503"] = OpenAPIResponse(description="Not ready yet; `detail` says why", content=ready.content)
        _constrain_text(operation)
        for status in (*COMMON, *ERRORS[(path, method)]):
            responses[str(status)] = _error_response(status)
        operation.responses = dict(sorted(responses.items()))
    question = schemas.get("AskRequest")
    if isinstance(question, Schema) and question.properties and isinstance(question.properties["question"], Schema):
        _constrain_body(question.properties)
    return document


def _constrain_body(properties: dict[str, Schema | Reference]) -> None:
    """``POST /ask``'s fields under the rules of ``GET /ask``'s parameters of the same name (null: not sent)."""
    question = properties["question"]
    assert isinstance(question, Schema)
    _text(question, MAX_QUERY_CHARS)
    for name in ("date_from", "date_to", "now"):
        described = properties[name]
        description = described.description if isinstance(described, Schema) else None
        properties[name] = Schema(one_of=[_date_schema(None), Schema(type=OpenAPIType.NULL)], description=description)
    ids = properties["article_id"]
    description = ids.description if isinstance(ids, Schema) else None
    properties["article_id"] = Schema(
        one_of=[_ids_schema(None), Schema(type=OpenAPIType.NULL)], description=description
    )


def _date_schema(description: str | None) -> Schema:
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE, description=description)


def _ids_schema(description: str | None) -> Schema:
    array = Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING), max_items=MAX_ARTICLE_IDS)
    assert isinstance(array.items, Schema)
    _text(array.items, MAX_ID_CHARS)
    array.description = description
    return array


def _text(schema: Schema, max_chars: int) -> None:
    schema.min_length = 1
    schema.max_length = max_chars
    schema.pattern = MEANINGFUL


def _constrain_text(operation: Operation) -> None:
    for parameter in operation.parameters or ():
        if not isinstance(parameter, Parameter) or not isinstance(parameter.schema, Schema):
            continue
        if parameter.name == "q":
            _text(parameter.schema, MAX_QUERY_CHARS)
        elif parameter.name in ("date_from", "date_to", "now") and parameter.param_in == "query":
            # The handlers also read dates as people write them (17 июля 2025, 05.10.2020), but an
            # OpenAPI schema cannot say "a real calendar day" for those forms: the document promises
            # the ISO day, which every client can send and the service always accepts.
            parameter.schema = _date_schema(parameter.schema.description)
        elif parameter.name == "article_id" and parameter.param_in == "query":
            # Litestar writes list[str] | None as oneOf [array, null]; a query string cannot say null.
            parameter.schema = _ids_schema(parameter.schema.description)
        elif parameter.name == "lang" and parameter.param_in == "query":
            # Likewise an optional enum gets null among its values; a query string sends a code or nothing.
            parameter.schema = Schema(
                type=OpenAPIType.STRING, enum=list(LANGS), description=parameter.schema.description
            )
