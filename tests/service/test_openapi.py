"""The OpenAPI document: every operation lists the errors it answers, in the one error body the service sends."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from service.openapi import ERRORS, make_exact
from service.schemas import ErrorBody


def test_every_error_response_is_the_error_body(client: TestClient[Litestar]) -> None:
    spec = client.get("/schema/openapi.json").json()
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["properties"]) == set(ErrorBody.__struct_fields__)
    assert set(error_schema["required"]) == {"error", "detail"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            codes = {int(code) for code in operation["responses"]}
            assert 400 in codes and codes >= set(ERRORS[(path, method)]), (path, method)
            for code, response in operation["responses"].items():
                if int(code) >= 400 and path != "/ready":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorBody", (path, method, code)


def test_text_parameters_state_the_rules_the_service_enforces(client: TestClient[Litestar]) -> None:
    spec = client.get("/schema/openapi.json").json()
    q = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "q")["schema"]
    assert (q["minLength"], q["maxLength"]) == (1, 1000) and q["pattern"].startswith("[^")
    question = spec["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["pattern"] == q["pattern"] and question["maxLength"] == 1000


def test_an_operation_missing_from_the_table_is_caught_when_the_app_is_built() -> None:
    @get("/new-endpoint", sync_to_thread=False)
    def new_endpoint() -> str:
        return "x"

    with pytest.raises(KeyError, match="/new-endpoint"):
        make_exact(Litestar(route_handlers=[new_endpoint]).openapi_schema)


def test_the_schema_documents_interpreted_and_now(client: TestClient[Litestar]) -> None:
    spec = client.get("/schema/openapi.json").json()
    schemas = spec["components"]["schemas"]
    interpreted = schemas["Interpreted"]["properties"]
    assert set(interpreted) == {"date_from", "date_to", "recency", "text", "filter"}
    for name in ("SearchResponse", "AskResponse"):
        assert "interpreted" in schemas[name]["properties"], name
    for path in ("/search", "/ask"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert params["now"]["schema"]["format"] == "date" and params["infer_dates"]["schema"]["type"] == "boolean"
