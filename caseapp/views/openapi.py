"""The OpenAPI description of /api/v1, kept as one YAML file beside this module, served as JSON."""
from __future__ import annotations

import copy
import json
from functools import cache
from hashlib import sha256
from importlib import resources

import yaml
from flask import Blueprint, Response, request

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

DESCRIPTION_FILE = "openapi_v1.yaml"
MAX_AGE = 3600  # clients and caches may keep it an hour; the ETag revalidates it after


def api_description() -> dict:
    """The description as data (tests and tools read it too); a copy, so no caller can change
    what is served."""
    return copy.deepcopy(_parsed())


@cache
def _parsed() -> dict:
    text = resources.files(__package__).joinpath(DESCRIPTION_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _served() -> tuple[bytes, str]:
    """The JSON body and its ETag, made once per process."""
    body = json.dumps(_parsed(), ensure_ascii=False, indent=1).encode("utf-8")
    return body, sha256(body).hexdigest()[:32]


@bp.get("/openapi.json")
def openapi_json():
    """Public and cacheable, so clients and fuzzers can fetch it without an account."""
    body, etag = _served()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response.make_conditional(request)
