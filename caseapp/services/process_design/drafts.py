"""Designers' drafts: a diagram being edited in the browser modeler, saved, reopened, deployed.

A draft belongs to the designer who saved it: a designer sees, edits, deploys and deletes only
their own; an admin sees and may act on every draft (to clean up after someone who left). A draft
is never run; it may hold problems (a work in progress), and is checked when it is deployed.
"""
from __future__ import annotations

from lxml import etree

from ...extensions import db
from ...models import ProcessDraft, ProcessVersion, User, utcnow
from ..administration import processes
from ..administration.process_checks import MAIN_PROCESS
from ..cases.audit import record_admin_change
from ..errors import NotFound, ValidationFailed

MAX_DRAFT_BYTES = 2 * 1024 * 1024
MAX_TITLE = 200
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                            huge_tree=False)


def _process_id(xml: str) -> str:
    """The id of the diagram's (executable) process; refuses what is not XML at all."""
    if len(xml.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise ValidationFailed("the diagram is larger than 2 MB", {"xml": ["too_large"]})
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=_SAFE_XML)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ValidationFailed(f"the draft is not XML: {exc}", {"xml": ["not_xml"]}) from exc
    ids = [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")
           if p.get("isExecutable", "true") != "false" and p.get("id")]
    return (ids[0] if ids else None) or MAIN_PROCESS


def _title(title) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationFailed("give the draft a title", {"title": ["required"]})
    if len(text) > MAX_TITLE:
        raise ValidationFailed("the title is longer than 200 characters", {"title": ["too_long"]})
    return text


def get_draft(user, draft_id: int) -> ProcessDraft:
    """A draft the user may see: their own, or any for an admin (others: not found)."""
    processes.require_designer(user)
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None or (draft.owner_id != user.id and user.role != "admin"):
        raise NotFound("no such draft")
    return draft


def save_draft(user, xml: str, title, draft_id: int | None = None,
               based_on: int | None = None) -> ProcessDraft:
    """Create a draft, or overwrite one of the user's own; problems do not stop a save."""
    processes.require_designer(user)
    if not isinstance(xml, str) or not xml.strip():
        raise ValidationFailed("the draft has no diagram", {"xml": ["required"]})
    process_id, title = _process_id(xml), _title(title)
    now = utcnow()
    if draft_id is not None:
        draft = get_draft(user, draft_id)
    else:
        if based_on is not None and db.session.get(ProcessVersion, based_on) is None:
            raise ValidationFailed("no such process version", {"based_on": ["unknown"]})
        draft = ProcessDraft(owner_id=user.id, based_on_version_id=based_on, created_at=now)
        db.session.add(draft)
    draft.xml, draft.title, draft.process_id, draft.updated_at = xml, title, process_id, now
    db.session.commit()
    return draft


def draft_from_version(user, version_id: int, title=None) -> ProcessDraft:
    """A new draft holding a deployed version's XML, to edit it."""
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("no such process version")
    return save_draft(user, version.bpmn_xml, title or f"{version.process_id} v{version.version}",
                      based_on=version.id)


def list_drafts(user) -> list[dict]:
    """The user's drafts (an admin: everyone's), most recently saved first."""
    processes.require_designer(user)
    query = (db.select(ProcessDraft.id, ProcessDraft.title, ProcessDraft.process_id,
                       ProcessDraft.updated_at, ProcessDraft.based_on_version_id,
                       ProcessVersion.version.label("based_on_version"), User.username)
             .join(User, User.id == ProcessDraft.owner_id)
             .outerjoin(ProcessVersion, ProcessVersion.id == ProcessDraft.based_on_version_id)
             .order_by(ProcessDraft.updated_at.desc(), ProcessDraft.id.desc()))
    if user.role != "admin":
        query = query.where(ProcessDraft.owner_id == user.id)
    return [{"id": r.id, "title": r.title, "process_id": r.process_id, "updated_at": r.updated_at,
             "based_on_version_id": r.based_on_version_id,
             "based_on_version": r.based_on_version, "owner": r.username}
            for r in db.session.execute(query)]


def delete_draft(user, draft_id: int) -> None:
    """Throw a draft away (its owner or an admin)."""
    draft = get_draft(user, draft_id)
    db.session.delete(draft)
    db.session.commit()


def deploy_draft(user, draft_id: int, accept_warnings: bool = False):
    """Deploy a draft as a new version, through the same checks as an upload; the draft stays."""
    draft = get_draft(user, draft_id)
    version, created = deploy_xml(user, draft.xml, accept_warnings)
    if created:
        record_admin_change(user, "process.deploy_draft", f"draft {draft.id}",
                            {"title": draft.title, "version": version.version,
                             "accept_warnings": bool(accept_warnings)})
        db.session.commit()
    return version, created


def deploy_xml(user, xml: str, accept_warnings: bool = False):
    """Deploy a designer's diagram (modeler or upload); warnings may be accepted, errors never."""
    processes.require_designer(user)
    return processes.deploy_bpmn(xml, user, accept_warnings=accept_warnings)


def refusal_problems(exc: ValidationFailed) -> list[dict]:
    """Why a deploy was refused, one dict per problem (the rules' own, or the older strings)."""
    found = getattr(exc, "problems", None)
    if found:
        return [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in found]
    texts = exc.fields.get("bpmn") or [exc.message]
    return [{"severity": "error", "rule": "deploy", "element_id": None, "element_name": None,
             "message": str(text), "title": "", "advice": ""} for text in texts]
