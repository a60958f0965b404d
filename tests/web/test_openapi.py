"""The OpenAPI document matches the app: routes, methods, parameters and response shapes.

Each documented query parameter is sent with the document's example value (200, and the body
valid against the documented schema) and with a bad value (a 400 or 404 naming it, and a valid
error body). The zoo (``tests/conftest.py``) stands in for Leicester where an example names a
real ward or asset.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from assetmap.web.api import QUERY_PARAMETERS
from assetmap.web.openapi import document

DOC = document()
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Example values that must name something in the zoo rather than in Leicester.
ZOO_VALUES = {"ward": "W1", "code": "W1"}
BAD_VALUES = {
    "bbox": ("-1.2,52.6,-1.1", 400),
    "category": ("pub", 400),
    "status": ("open", 400),
    "ward": ("W9", 404),
    "page": ("0", 400),
    "per_page": ("99999", 400),
    "minutes": ("61", 400),
    "need_weights": ("idaopi", 400),
    "gap_weights": ("walk:1", 400),
    "kind": ("msoa", 400),
    "level": ("city", 400),
    "limit": ("0", 400),
    "q": ("x", 400),
    "k": ("0", 400),
    "separation_km": ("21", 400),
    "no_adjacent": ("maybe", 400),
    "programme": ("all", 400),
    "candidates": ("shops", 400),
}
# Sent with every request to a path, so its defaults fit the zoo (two small areas, two wards: the
# planner's default of 5 pilots would be infeasible there, a 400 of its own).
ZOO_BASE = {"/api/planner": {"k": "1", "separation_km": "0"}}
GET_PATHS = sorted(p for p in DOC["paths"] if "get" in DOC["paths"][p])
METHODS = {"get", "put", "post", "patch", "delete"}


def openapi_path(rule: str) -> str:
    """``/api/wards/<code>`` (or ``<string:code>``) as ``/api/wards/{code}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]


def parameters(path: str, where: str, method: str | None = None) -> list[dict]:
    """The parameters of one operation of ``path`` (``method``), or of all of them, by name."""
    item = DOC["paths"][path]
    operations = [item[method]] if method else [o for k, o in item.items() if k in METHODS]
    found: dict[str, dict] = {}
    for operation in operations:
        for given in operation.get("parameters", []):
            p = DOC["components"]["parameters"][given["$ref"].rsplit("/", 1)[1]] if "$ref" in given else given
            found.setdefault(p["name"], p)
    return [p for p in found.values() if p["in"] == where]


def wire(parameter: dict) -> str:
    """The example value as it goes in a URL: lists comma-separated (style form, explode false)."""
    value = ZOO_VALUES.get(parameter["name"], parameter["example"])
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def check_body(response, schema: dict) -> None:
    """Validate a JSON body against a schema from the document, resolving its ``$ref``s."""
    root = {**schema, "components": DOC["components"]}
    Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        response.get_json()
    )


def schema_of(path: str, status: str, method: str = "get") -> dict:
    response = DOC["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


@pytest.fixture
def concrete(client):
    """A path with its path parameters filled in from the zoo."""
    asset_id = client.get("/api/assets?category=cafe").get_json()["features"][0]["id"]

    def fill(path: str) -> str:
        return path.replace("{code}", "W1").replace("{asset_id}", asset_id)

    return fill


def test_document_is_valid_openapi():
    validate(DOC)
    assert DOC["openapi"].startswith("3.1")


def test_served_document_is_the_document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == DOC


def test_every_api_route_is_documented_and_every_documented_path_exists(app):
    routes: dict[str, set[str]] = {}
    for r in api_rules(app):  # one path may have a rule per method
        routes.setdefault(openapi_path(r.rule), set()).update((r.methods or set()) - IGNORED_METHODS)
    documented = {path: {m.upper() for m in ops} for path, ops in DOC["paths"].items()}
    assert routes == documented


def test_path_parameters_match(app):
    for rule in api_rules(app):
        path = openapi_path(rule.rule)
        assert {p["name"] for p in parameters(path, "path")} == set(rule.arguments), path
        assert all(p["required"] for p in parameters(path, "path"))


def test_documented_query_parameters_are_the_ones_each_endpoint_takes(app):
    for rule in api_rules(app):
        if rule.endpoint in QUERY_PARAMETERS:  # other blueprints check their own
            documented = {p["name"] for p in parameters(openapi_path(rule.rule), "query")}
            assert documented == set(QUERY_PARAMETERS[rule.endpoint]), rule.rule
    assert set(QUERY_PARAMETERS) <= {r.endpoint for r in api_rules(app)}


def test_every_documented_parameter_has_a_bad_value_here():
    names = {p["name"] for path in DOC["paths"] for p in parameters(path, "query")}
    assert names == set(BAD_VALUES)


@pytest.mark.parametrize("path", GET_PATHS)
def test_each_query_parameter_is_accepted_with_its_example(client, concrete, path):
    required = ZOO_BASE.get(path, {}) | {
        p["name"]: wire(p) for p in parameters(path, "query", "get") if p.get("required")
    }
    url = concrete(path)
    response = client.get(f"{url}?{urlencode(required)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    check_body(response, schema_of(path, "200"))
    for parameter in parameters(path, "query", "get"):
        query = required | {parameter["name"]: wire(parameter)}
        response = client.get(f"{url}?{urlencode(query)}")
        assert response.status_code == 200, (path, parameter["name"], response.get_data(as_text=True))
        check_body(response, schema_of(path, "200"))


@pytest.mark.parametrize("path", GET_PATHS)
def test_all_query_parameters_together(client, concrete, path):
    query = ZOO_BASE.get(path, {}) | {p["name"]: wire(p) for p in parameters(path, "query", "get")}
    response = client.get(f"{concrete(path)}?{urlencode(query)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    check_body(response, schema_of(path, "200"))


@pytest.mark.parametrize("path", GET_PATHS)
def test_each_query_parameter_is_checked(client, concrete, path):
    required = ZOO_BASE.get(path, {}) | {
        p["name"]: wire(p) for p in parameters(path, "query", "get") if p.get("required")
    }
    for parameter in parameters(path, "query", "get"):
        bad, status = BAD_VALUES[parameter["name"]]
        response = client.get(f"{concrete(path)}?{urlencode(required | {parameter['name']: bad})}")
        assert response.status_code == status, (path, parameter["name"])
        assert str(status) in DOC["paths"][path]["get"]["responses"], (path, status)
        check_body(response, schema_of(path, str(status)))
        message = response.get_json()["message"]
        assert parameter["name"] in message or bad in message, message


@pytest.mark.parametrize("path", GET_PATHS)
def test_an_undocumented_parameter_is_refused(client, concrete, path):
    required = ZOO_BASE.get(path, {}) | {
        p["name"]: wire(p) for p in parameters(path, "query", "get") if p.get("required")
    }
    response = client.get(f"{concrete(path)}?{urlencode(required | {'colour': 'red'})}")
    assert response.status_code == 400
    check_body(response, schema_of(path, "400"))
    assert response.get_json()["message"].startswith("unknown parameter 'colour'")


@pytest.mark.parametrize("path", [p for p in GET_PATHS if "{" in p])
def test_unknown_path_values_are_404(client, path):
    response = client.get(re.sub(r"\{[^}]+\}", "nothing-here", path))
    assert response.status_code == 404
    check_body(response, schema_of(path, "404"))


def test_what_if_request_and_responses_match_the_document(client):
    request_schema = DOC["paths"]["/api/whatif"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    payload = {"points": [{"lon": -1.125, "lat": 52.625, "category": "cafe"}]}
    Draft202012Validator({**request_schema, "components": DOC["components"]}).validate(payload)
    response = client.post("/api/whatif", json=payload)
    assert response.status_code == 200
    check_body(response, schema_of("/api/whatif", "200", "post"))
    response = client.post("/api/whatif", json={"points": [{"lon": 1, "lat": 2, "category": "cafe"}]})
    assert response.status_code == 400
    check_body(response, schema_of("/api/whatif", "400", "post"))


def test_an_infeasible_plan_matches_the_documented_error(client):
    response = client.get("/api/planner?k=2&separation_km=1")
    assert response.status_code == 400
    check_body(response, schema_of("/api/planner", "400"))
