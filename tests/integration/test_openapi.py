"""The OpenAPI description of /api/v1: valid, complete, served, and true of the real responses.

A lifecycle through the API (submit, dispatch, handle, publish, a rejection, a breach, and the
errors on the way) has every response checked against the description: its status must be
described for that operation and its body must match the schema described for that status.
"""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote, urlsplit

import pytest
from freezegun import freeze_time
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from caseapp import create_app
from caseapp.calendar.days import LOCAL_TZ
from caseapp.services.announcements import publish_announcement
from caseapp.services.cases.deadlines import sweep
from caseapp.views.openapi import api_description

from .helpers import REPORT, Api

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
DOCUMENT_URI = "urn:casebridge:openapi-v1"


def local(*args):
    return datetime(*args, tzinfo=LOCAL_TZ)


class Description:
    """The description, able to say which operation a request is and check its response."""

    def __init__(self, document: dict):
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI,
                                                 DRAFT202012.create_resource(document))
        self.templates = [(template, re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+",
                                                             re.escape(template)) + "$"))
                          for template in document["paths"]]

    def operations(self) -> set[tuple[str, str]]:
        return {(template, method.upper()) for template, item in self.document["paths"].items()
                for method in item if method in HTTP_METHODS}

    def template_for(self, path: str) -> str:
        matches = [template for template, pattern in self.templates if pattern.match(path)]
        assert len(matches) == 1, f"{path} matches {matches} in the description"
        return matches[0]

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.registry.resolver(DOCUMENT_URI).lookup(node["$ref"]).contents
        return node

    def schema_errors(self, pointer: str, instance) -> list[str]:
        validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{quote(pointer)}"},
                                         registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(instance)]

    def check(self, method: str, path: str, response) -> str:
        """Assert the response is what the description says of that operation and status."""
        template = self.template_for(path)
        operation = self.document["paths"][template].get(method.lower())
        assert operation is not None, f"{method} {template} is not described"
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method} {path} answered {status}, not described: {response.get_data(as_text=True)}")
        described = self._resolve(operation["responses"][status])
        content = described.get("content")
        if content is None:
            assert response.get_data() == b"", f"{method} {path} {status}: a body not described"
            return template
        assert response.mimetype in content, f"{method} {path} {status}: {response.mimetype}"
        node, declared = content[response.mimetype]["schema"], operation["responses"][status]
        if "$ref" in node:
            pointer = node["$ref"][1:]
        elif "$ref" in declared:  # a shared response of components/responses
            pointer = f"{declared['$ref'][1:]}/content/{escape(response.mimetype)}/schema"
        else:
            pointer = "/".join(["", "paths", escape(template), method.lower(), "responses",
                                status, "content", escape(response.mimetype), "schema"])
        errors = self.schema_errors(pointer, response.get_json())
        assert not errors, f"{method} {path} {status} does not match its schema: {errors}"
        return template


def escape(token: str) -> str:
    """A JSON pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


class CheckedApi(Api):
    """The API client of the other tests, checking every response against the description."""

    def __init__(self, client, description: Description):
        super().__init__(client)
        self.description = description
        self.seen: dict[tuple[str, str], set[int]] = {}

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        response = super().call(method, path, user, **kwargs)
        self.record(method, path, response)
        return response

    def record(self, method: str, path: str, response):
        template = self.description.check(method, urlsplit(path).path, response)
        self.seen.setdefault((template, method.upper()), set()).add(response.status_code)
        return response


@pytest.fixture(scope="module")
def description() -> Description:
    return Description(api_description())


def test_the_description_is_valid_openapi():
    document = api_description()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"], "type": "http",
        "scheme": "bearer"}


def test_every_api_rule_is_described_and_nothing_else(description):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None,
                      "SECRET_KEY": "test-secret", "EMBEDDED_SWEEPER": False})
    served, parameters = set(), {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        parameters[template] = set(rule.arguments)
        served |= {(template, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == description.operations(), (
        f"served but not described: {sorted(served - description.operations())}; "
        f"described but not served: {sorted(description.operations() - served)}")
    for template, item in description.document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            in_path = {description._resolve(p)["name"] for p in operation.get("parameters", [])
                       if description._resolve(p)["in"] == "path"}
            assert in_path == parameters[template], (method, template)
            public = operation.get("security", description.document["security"]) == []
            assert public or "401" in operation["responses"], (method, template)


def test_the_schemas_are_closed(description):
    """additionalProperties (and unevaluatedProperties) really refuse what is not described."""
    receipt = {"tracking_code": "CM-AAAA-BBBB", "status": "open", "phase": "dispatch"}
    assert description.schema_errors("/components/schemas/ReportReceipt", receipt) == []
    assert description.schema_errors("/components/schemas/ReportReceipt",
                                     {**receipt, "reporter_phone": "0912345678"})
    item = {"id": "x", "tracking_code": "CM-AAAA-BBBB", "task": "dispatch", "task_name": "T",
            "form": "dispatch", "title": "t", "category": "disaster", "urgent": False,
            "created_at": "2026-12-01T00:00:00+00:00", "due_at": None, "overdue": False,
            "claimed_by": None, "state": "open", "queue": "portal", "agency": None}
    assert description.schema_errors("/components/schemas/WorkItem", item) == []
    assert description.schema_errors("/components/schemas/WorkItem", {**item, "extra": 1})
    assert description.schema_errors("/components/schemas/WorkItem", {**item, "fields": []})
    assert description.schema_errors("/components/schemas/WorkItemWithFields",
                                     {**item, "fields": []}) == []
    assert description.schema_errors("/components/schemas/WorkItemWithFields",
                                     {**item, "fields": [], "extra": 1})
    assert description.schema_errors("/components/schemas/Error",
                                     {"error": {"code": "x", "message": "m"}, "debug": "trace"})


def test_it_is_served_as_json_public_and_cacheable(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == api_description()
    assert response.cache_control.public and response.cache_control.max_age > 0
    assert response.headers.get("Set-Cookie") is None
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_lifecycle_answers_as_described(seeded, users, client, app, description):
    api = CheckedApi(client, description)
    with freeze_time(local(2026, 11, 25, 10, 0)) as clock:  # a Wednesday, 10:00 in Cà Mau
        # public: reference data and the description itself
        assert api.call("GET", "/api/v1/categories").status_code == 200
        assert api.call("GET", "/api/v1/agencies").status_code == 200
        assert api.call("GET", "/api/v1/openapi.json").status_code == 200
        assert api.call("GET", "/api/v1/categories?x=%01").status_code == 400
        publish_announcement(users["supervisor"], {
            "title": "Triều cường", "text": "Triều cường dâng cao, hạn chế đi lại ven sông.",
            "area": "TP Cà Mau", "starts_at": "2026-11-25T09:00", "ends_at": "2026-11-26T09:00"})
        announced = api.call("GET", "/api/v1/announcements").get_json()["items"]
        assert [a["title"] for a in announced] == ["Triều cường"]

        # tokens: good and bad credentials, a lockout
        for credentials, status in (({"username": "operator", "password": "pw"}, 201),
                                    ({"username": "operator", "password": "wrong"}, 401)):
            assert api.call("POST", "/api/v1/tokens", json=credentials).status_code == status
        assert api.call("POST", "/api/v1/tokens", data="[]",
                        content_type="application/json").status_code == 422

        # reports: created, replayed, refused
        submitted = api.call("POST", "/api/v1/reports", json=REPORT,
                             headers={"Idempotency-Key": "k-1"})
        assert submitted.status_code == 201
        code = submitted.get_json()["tracking_code"]
        replayed = api.call("POST", "/api/v1/reports", json=REPORT,
                            headers={"Idempotency-Key": "k-1"})
        assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
        reused = api.call("POST", "/api/v1/reports", json={**REPORT, "urgent": True},
                          headers={"Idempotency-Key": "k-1"})
        assert reused.status_code == 422
        assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
        invalid = api.call("POST", "/api/v1/reports", json={"phone": "12", "lat": True})
        assert invalid.status_code == 422 and {"phone", "lat", "category"} <= set(
            invalid.get_json()["error"]["fields"])
        assert api.call("POST", "/api/v1/reports", data="x",
                        content_type="text/plain").status_code == 422
        assert api.call("GET", f"/api/v1/reports/{code}").status_code == 200
        assert api.call("GET", "/api/v1/reports/CM-XXXX-XXXX").status_code == 404
        duplicate = api.submit(description="Một phản ánh khác về bờ kè, cùng chỗ sạt lở")

        # the dispatch deadline (2 working hours) passes: a breach
        clock.move_to(local(2026, 11, 25, 12, 0, 1))
        assert sweep() >= 1
        detail = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()
        assert detail["breaches"] and detail["reporter"]["phone"]

        # staff: auth errors, queue filters and their errors
        assert api.call("GET", "/api/v1/work-items").status_code == 401
        assert api.call("GET", "/api/v1/work-items",
                        headers={"Authorization": "Bearer forged"}).status_code == 401
        assert api.call("GET", "/api/v1/work-items", "monitor").status_code == 403
        for query in ("sort=-created_at&overdue=true&urgent=false&claimed=none&page=1&per_page=5",
                      "lang=en&task=dispatch&category=disaster&claimed=me"):
            assert api.call("GET", f"/api/v1/work-items?{query}", "operator").status_code == 200
        for query in ("sort=title", "overdue=maybe", "page=-1", "per_page=x"):
            assert api.call("GET", f"/api/v1/work-items?{query}", "operator").status_code == 422

        # dispatch: claim, a colleague's conflict, release, errors, done, done again
        item = api.item_for("operator", code, "dispatch")
        path = f"/api/v1/work-items/{item['id']}"
        assert api.call("GET", path, "operator").get_json()["fields"]
        assert api.call("GET", f"{path}?lang=en", "operator").status_code == 200
        assert api.call("POST", f"{path}/claim", "operator").get_json()["claimed_by"] == "operator"
        assert api.call("POST", f"{path}/claim", "supervisor").status_code == 409
        assert api.call("POST", f"{path}/unclaim", "supervisor").status_code == 200
        assert api.call("POST", f"{path}/claim", "operator").status_code == 200
        assert api.call("POST", f"{path}/complete", "operator",
                        json={"action": "dispatch"}).status_code == 422
        assert api.call("POST", f"{path}/complete", "operator", data="[1]",
                        content_type="application/json").status_code == 422
        assert api.call("POST", f"{path}/complete", "operator",
                        json={"action": "dispatch", "agency": "police",
                              "note": "Kiểm tra ngay"}).status_code == 200
        assert api.call("POST", f"{path}/complete", "operator",
                        json={"action": "dispatch", "agency": "police"}).status_code == 409
        assert api.call("POST", f"{path}/claim", "operator").status_code == 409
        assert api.call("GET", "/api/v1/work-items/no-such-item", "operator").status_code == 404
        assert api.call("POST", "/api/v1/work-items/no-such-item/claim",
                        "operator").status_code == 404

        # the agency handles it; the portal may not touch the agency's item
        handle = api.item_for("officer.police", code, "handle")
        handle_path = f"/api/v1/work-items/{handle['id']}"
        assert api.call("GET", handle_path, "operator").status_code == 403
        assert api.call("POST", f"{handle_path}/claim", "operator").status_code == 403
        assert api.call("GET", handle_path, "officer.police").status_code == 200
        assert api.call("GET", f"/api/v1/cases/{code}", "officer.police").get_json()[
            "reporter"] is None  # no consent: the agency does not see who reported
        assert api.call("GET", f"/api/v1/cases/{code}", "officer.health").status_code == 403
        api.complete("officer.police", code, "handle",
                     {"action": "resolve", "result": "Đã gia cố bờ kè tạm thời."})

        # the portal publishes the reply; the public sees it
        final = api.complete("operator", code, "publish",
                             {"public_response": "Công an đã xử lý, cảm ơn bạn."})
        assert final["status"] == "closed"
        public = api.call("GET", f"/api/v1/reports/{code}").get_json()
        assert public["reply"] and public["timeline"][0]["kind"] == "submitted"

        # a rejection as a duplicate
        rejected = api.complete("operator", duplicate, "dispatch",
                                {"action": "reject", "reject_reason": "duplicate",
                                 "duplicate_of": code})
        assert rejected["status"] == "rejected"
        assert api.call("GET", f"/api/v1/reports/{duplicate}").get_json()["reply"]

        # notifications (the breach went to the supervisor)
        assert api.call("GET", "/api/v1/notifications", "supervisor").get_json()["items"]
        assert api.call("GET", "/api/v1/notifications?unread=true", "operator").status_code == 200
        assert api.call("GET", "/api/v1/notifications?unread=maybe",
                        "operator").status_code == 422
        assert api.call("GET", "/api/v1/cases/CM-XXXX-XXXX", "operator").status_code == 404

        # the leaders' figures: the province, an agency, and who may not see them
        figures = api.call("GET", "/api/v1/stats?from=2026-11-01&to=2026-11-30", "monitor")
        assert figures.status_code == 200 and figures.get_json()["received"] == 2
        assert api.call("GET", "/api/v1/stats?category=disaster",
                        "leader.police").status_code == 200
        assert api.call("GET", "/api/v1/stats?agency=health", "leader.police").status_code == 403
        assert api.call("GET", "/api/v1/stats", "operator").status_code == 403
        assert api.call("GET", "/api/v1/stats?from=2026-13-01", "monitor").status_code == 422

        # a body over the size limit
        app.config["MAX_CONTENT_LENGTH"] = 2000
        try:
            too_large = api.call("POST", "/api/v1/reports", json={**REPORT, "address": "x" * 3000})
        finally:
            app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
        assert too_large.status_code == 413

        # five failures lock a username for this address
        statuses = [api.call("POST", "/api/v1/tokens", json={"username": "nobody", "password": "x"})
                    .status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]

    successes = {operation for operation, statuses in api.seen.items()
                 if any(200 <= status < 300 for status in statuses)}
    assert successes == description.operations(), (
        f"operations never answered with success here: {description.operations() - successes}")


def test_a_generated_form_answers_as_described(seeded, client, description):
    """A step whose form comes from the diagram: its fields and its recorded values."""
    from caseapp.services.administration.processes import deploy_bpmn

    from .test_generated_forms import FIXTURE, VALID
    deploy_bpmn(FIXTURE.read_text(encoding="utf-8"))
    api = CheckedApi(client, description)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    api.complete("officer.police", code, "handle",
                 {"action": "resolve", "result": "Đã cử tổ công tác đến hiện trường."})
    item = api.item_for("officer.police", code, "site_visit")
    path = f"/api/v1/work-items/{item['id']}"
    fields = api.call("GET", f"{path}?lang=en", "officer.police").get_json()["fields"]
    assert {f["type"] for f in fields} == {"date", "long", "boolean", "enum", "string"}
    assert api.call("POST", f"{path}/complete", "officer.police",
                    json={**VALID, "hazard_level": 9}).status_code == 422
    done = api.call("POST", f"{path}/complete", "officer.police", json=VALID).get_json()
    recorded = [e for e in done["audit"] if e["kind"] == "task_completed"]
    assert recorded and {f["id"] for f in recorded[0]["detail"]["fields"]} >= {"visit_date",
                                                                                "road_closed"}
