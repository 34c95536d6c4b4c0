"""Helpers for driving the JSON API like the mobile app does."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

REPORT = {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "an@example.vn",
          "category": "disaster", "description": "Sạt lở bờ kè đường Nguyễn Tất Thành, nguy hiểm",
          "address": "Phường 8, TP Cà Mau", "lat": 9.18, "lon": 105.15}


class Api:
    """A JSON API client that keeps one token per user, and asks for a new one when the clock
    (real or frozen) is no longer the one the token was issued under: earlier than its issue
    moment or more than TOKEN_REUSE later (the app refuses expired tokens and future ones)."""

    TOKEN_REUSE = timedelta(hours=1)

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, tuple[str, datetime]] = {}  # username -> (token, issued at)

    def token(self, username: str, password: str = "pw") -> str:
        now = datetime.now(timezone.utc)  # freezegun's clock when one is frozen
        cached = self.tokens.get(username)
        if cached is None or not cached[1] <= now <= cached[1] + self.TOKEN_REUSE:
            response = self.client.post("/api/v1/tokens", json={"username": username,
                                                                  "password": password})
            assert response.status_code == 201, response.get_json()
            cached = self.tokens[username] = (response.get_json()["token"], now)
        return cached[0]

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def submit(self, **overrides) -> str:
        response = self.call("POST", "/api/v1/reports", json={**REPORT, **overrides})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["tracking_code"]

    def item_for(self, user: str, code: str, task: str | None = None) -> dict:
        response = self.call("GET", "/api/v1/work-items", user, query_string={"per_page": 200})
        assert response.status_code == 200, response.get_json()
        items = [i for i in response.get_json()["items"]
                 if i["tracking_code"] == code and (task is None or i["task"] == task)]
        assert len(items) == 1, items
        return items[0]

    def complete(self, user: str, code: str, task: str, data: dict, expect: int = 200):
        item = self.item_for(user, code, task)
        response = self.call("POST", f"/api/v1/work-items/{item['id']}/complete", user, json=data)
        assert response.status_code == expect, response.get_json()
        return response.get_json()
