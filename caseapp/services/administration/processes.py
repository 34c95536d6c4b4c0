"""Deploying BPMN versions and building the engine runner a case needs."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from ...engine import ProcessRunner
from ...extensions import db
from ...models import ProcessVersion, utcnow
from ..cases.audit import record_admin_change
from ..errors import NotFound
from ..process_design.problems import DiagramRejected, errors_of, warnings_of
from ..process_design.rules import inspect_diagram
from .script_functions import script_functions
from .process_checks import MAIN_PROCESS
from .sla_settings import DAY_TEXT, POLICY_TEXT, DueCalculator

BPMN_DIR = Path(__file__).resolve().parents[3] / "bpmn"


def deploy_bpmn(xml: str, actor=None, *, accept_warnings: bool = False
                ) -> tuple[ProcessVersion, bool]:
    """Check (process_design.rules: every problem at once) and store a BPMN version; refused
    while an error remains, or a warning the designer did not accept. The same XML twice is one
    version."""
    compiled, problems = inspect_diagram(xml)
    if errors_of(problems) or (warnings_of(problems) and not accept_warnings) or compiled is None:
        raise DiagramRejected(problems)
    current = db.session.scalars(db.select(ProcessVersion).where(
        ProcessVersion.process_id == compiled.process_id, ProcessVersion.active.is_(True))
        .order_by(ProcessVersion.version.desc())).first()
    if current is not None and _same_diagram(current, compiled.bpmn_sha256, xml):
        return current, False
    latest = db.session.scalar(db.select(db.func.max(ProcessVersion.version)).where(
        ProcessVersion.process_id == compiled.process_id)) or 0
    db.session.execute(db.update(ProcessVersion).where(
        ProcessVersion.process_id == compiled.process_id).values(active=False))
    version = ProcessVersion(process_id=compiled.process_id, version=latest + 1,
                             bpmn_xml=xml if isinstance(xml, str) else xml.decode("utf-8"),
                             bpmn_sha256=compiled.bpmn_sha256, spec_json=compiled.spec_json,
                             deployed_at=utcnow(), deployed_by_id=getattr(actor, "id", None),
                             active=True)
    db.session.add(version)
    record_admin_change(actor, "process.deploy", f"{compiled.process_id} v{latest + 1}",
                        {"sha256": compiled.bpmn_sha256})
    db.session.commit()
    from ..cases.submission import restart_failed_reports  # cases sit above administration
    restart_failed_reports()  # reports kept while the diagram was broken start on the new one
    return version, True


_CANONICAL_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                    remove_comments=True, remove_pis=True, huge_tree=False)


def canonical_xml(xml: str | bytes) -> bytes | None:
    """The diagram in canonical form (C14N 2.0, without comments and whitespace between
    elements), so the same XML saved again by another editor is recognised as the same."""
    data = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    try:
        root = etree.fromstring(data, parser=_CANONICAL_PARSER)
    except etree.XMLSyntaxError:
        return None
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(root, method="c14n2")


def _same_diagram(version: ProcessVersion, sha256: str, xml: str | bytes) -> bool:
    if version.bpmn_sha256 == sha256:
        return True
    canonical = canonical_xml(xml)
    return canonical is not None and canonical == canonical_xml(version.bpmn_xml)


def deploy_bundled(actor=None) -> tuple[ProcessVersion, bool]:
    """Deploy the diagram shipped in bpmn/ (idempotent: unchanged XML is not redeployed)."""
    xml = (BPMN_DIR / f"{MAIN_PROCESS}.bpmn").read_text(encoding="utf-8")
    return deploy_bpmn(xml, actor)


def active_version(process_id: str = MAIN_PROCESS) -> ProcessVersion:
    """The version new cases start on."""
    version = db.session.scalars(db.select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.active.is_(True))
        .order_by(ProcessVersion.version.desc())).first()
    if version is None:
        raise NotFound("no process deployed; run 'flask --app wsgi deploy'")
    return version


_ACTIVE_VERSION = (db.select(ProcessVersion.id, POLICY_TEXT, DAY_TEXT)
                   .where(ProcessVersion.process_id == db.bindparam("process_id"),
                          ProcessVersion.active.is_(True))
                   .order_by(ProcessVersion.version.desc()).limit(1))


def active_version_and_settings(process_id: str = MAIN_PROCESS) -> tuple[int, tuple]:
    """The active version's id and the SLA settings texts (for a DueCalculator), in one query."""
    row = db.session.execute(_ACTIVE_VERSION, {"process_id": process_id}).first()
    if row is None:
        raise NotFound("no process deployed; run 'flask --app wsgi deploy'")
    return row[0], (row[1], row[2])


_spec_by_version: dict[int, str] = {}


def runner_for(version_id: int, sla_due: DueCalculator | None = None) -> ProcessRunner:
    """An engine runner wired to this app's script functions (SLA calendar, replies).

    `sla_due`: a DueCalculator to share between the commands of one transaction (a batch), so
    that policies and calendar are read once for all of them.
    """
    spec = _spec_by_version.get(version_id)
    if spec is None:
        spec = db.session.scalar(db.select(ProcessVersion.spec_json).where(
            ProcessVersion.id == version_id))
        if spec is None:
            raise NotFound(f"process version {version_id} is gone")
        _spec_by_version[version_id] = spec
    return ProcessRunner(spec, script_functions(sla_due))


def forget_cached_specs() -> None:
    """Drop cached specs (tests reuse version ids across databases)."""
    _spec_by_version.clear()
    _labels_by_version.clear()
    _localized_by_version.clear()


# ---- what people read: the diagram's element names ----------------------------------

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_labels_by_version: dict[int, dict[str, tuple[str, str | None]]] = {}


def diagram_labels(xml: str | bytes) -> dict[str, tuple[str, str | None]]:
    """bpmn id -> (name, English label): `name` is Vietnamese, English is the element's
    camunda:property label_en (so a designer names a step in both languages in the modeler)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser=_SAFE_XML)
    labels = {}
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        ident, name = element.get("id"), element.get("name")
        if not ident or not name:
            continue
        label_en = None
        for prop in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/"
                                     f"{{{CAMUNDA_NS}}}property"):
            if prop.get("name") == "label_en" and prop.get("value"):
                label_en = prop.get("value")
        labels[ident] = (name, label_en)
    return labels


def localized_xml(xml: str | bytes, lang: str) -> str:
    """The diagram with every element's `name` in the reader's language, for the viewer: the
    Vietnamese name or its label_en; a lane (named after its queue, which SpiffWorkflow reads)
    by the queue's translated label. The stored XML is never changed."""
    from ...i18n import queue_label
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser=_SAFE_XML)
    labels = diagram_labels(data)
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        ident = element.get("id")
        if not ident or ident not in labels:
            continue
        name, label_en = labels[ident]
        if element.tag == f"{{{BPMN_NS}}}lane":
            text = (label_en if lang == "en" and label_en else None) or queue_label(name, lang)
        else:
            text = label_en if lang == "en" and label_en else name
        element.set("name", text)
    return etree.tostring(root, encoding="unicode")


_localized_by_version: dict[tuple[int, str], str] = {}


def version_xml_for_reader(version_id: int, xml: str | None = None, lang: str | None = None) -> str:
    """A deployed version's diagram in the UI language (cached: versions never change)."""
    from ...i18n import current_language
    lang = lang or current_language()
    key = (version_id, lang)
    if key not in _localized_by_version:
        if xml is None:
            xml = db.session.scalar(db.select(ProcessVersion.bpmn_xml).where(
                ProcessVersion.id == version_id))
        _localized_by_version[key] = localized_xml(xml, lang)
    return _localized_by_version[key]


def element_label(version_id: int, bpmn_id: str, lang: str | None = None,
                  default: str = "") -> str:
    """The name of a step of a deployed version in the UI language (English: label_en)."""
    from ...i18n import current_language
    labels = _labels_by_version.get(version_id)
    if labels is None:
        xml = db.session.scalar(db.select(ProcessVersion.bpmn_xml).where(
            ProcessVersion.id == version_id))
        labels = diagram_labels(xml) if xml else {}
        _labels_by_version[version_id] = labels
    name, label_en = labels.get(bpmn_id, (None, None))
    if (lang or current_language()) == "en" and label_en:
        return label_en
    return name or default


DESIGN_ROLES = ("designer", "admin")


def require_designer(user) -> None:
    """Only process designers and admins see and deploy process versions."""
    from ..errors import Forbidden
    if getattr(user, "role", None) not in DESIGN_ROLES:
        raise Forbidden("only process designers and admins manage the process")


def list_versions(user) -> list[dict]:
    """Every deployed version, newest first, with how many cases run on it."""
    from ...models import Case, User
    require_designer(user)
    counts = dict(db.session.execute(db.select(Case.process_version_id, db.func.count())
                                     .group_by(Case.process_version_id)).all())
    rows = db.session.execute(
        db.select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version,
                  ProcessVersion.bpmn_sha256, ProcessVersion.deployed_at, ProcessVersion.active,
                  User.username)
        .outerjoin(User, User.id == ProcessVersion.deployed_by_id)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    return [{"id": r.id, "process_id": r.process_id, "version": r.version,
             "sha256": r.bpmn_sha256, "deployed_at": r.deployed_at, "active": r.active,
             "deployed_by": r.username or "system", "cases": counts.get(r.id, 0)} for r in rows]


def version_diagram(user, version_id: int | None = None) -> dict:
    """The XML of one version (the active one by default) for the read-only viewer."""
    require_designer(user)
    version = active_version() if version_id is None else db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("no such process version")
    return {"id": version.id, "version": version.version, "process_id": version.process_id,
            "xml": version_xml_for_reader(version.id, version.bpmn_xml), "marks": {}}


def deploy_upload(user, xml: str, accept_warnings: bool = False) -> tuple[ProcessVersion, bool]:
    """A designer deploys a diagram they edited (validated and sandbox-checked first)."""
    require_designer(user)
    return deploy_bpmn(xml, user, accept_warnings=accept_warnings)
