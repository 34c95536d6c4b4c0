"""The public transparency board: answered reports and overall figures, for anyone.

What is public: category, district, the dates received and answered, whether the answer came
on time, and the reply the portal published. Never the reporter's identity, the description
or address they wrote (they may name people), the agency's internal result or staff notes.

- Only answered reports (status `closed`: a reply was published) are listed. Reports the portal
  did not accept (`rejected`: spam, duplicates, not a field report…) are not: their text is not
  an answer and often should not be republished; they count in the figures ("received",
  "not accepted").
- Words are searched in the published reply only, never in what the reporter wrote, so nobody
  can probe unpublished text (does any report mention this name?). On PostgreSQL the search is
  full-text (`to_tsvector('simple', public_response) @@ plainto_tsquery('simple', words)`),
  served by the GIN index `ix_case_reply_words` (models/board.py): every word must appear as a
  whole word, case-insensitively. SQLite (development) has no such index and matches each word
  as a substring with LIKE (in its usual spellings: SQLite folds the case of ASCII letters only).
- "Answered on time": an answered report with no breach of a duty deadline — a breach recorded
  on a step's own deadline (deadline.phase = deadline.attached_to: dispatch, handle, publish, a
  designer's phase). A passed `return` window is not a duty (the agency merely can no longer
  send the report back) and does not make an answer late.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ...extensions import db
from ...models import Breach, Case, Category, Deadline, District
from ...models.board import TEXT_SEARCH_CONFIG, reply_document

ANSWERED = "closed"
NOT_ACCEPTED = "rejected"
MAX_WORDS_LENGTH = 200
PER_PAGE = 20
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class BoardFilters:
    category: str | None = None   # category code
    district: str | None = None   # district code
    words: str | None = None      # words of the published reply
    page: int = 1
    per_page: int = PER_PAGE


def clean_words(raw: str | None) -> str | None:
    """Search words as typed, spaces collapsed and cut to a sane length; None when nothing
    searchable is left (only punctuation)."""
    if not raw or not isinstance(raw, str):
        return None
    words = " ".join(raw.split())[:MAX_WORDS_LENGTH]
    return words if _WORD.search(words) else None


def duty_breached():
    """SQL: the case has a breach of a duty deadline (see the module's definition of on time)."""
    return (db.select(Breach.id)
            .outerjoin(Deadline, Deadline.id == Breach.deadline_id)
            .where(Breach.case_id == Case.id,
                   db.or_(Deadline.id.is_(None), Deadline.phase == Deadline.attached_to))
            .exists())


def _filtered(query, filters: BoardFilters):
    if filters.category:
        query = query.where(Case.category_id == db.select(Category.id).where(
            Category.code == filters.category).correlate(None).scalar_subquery())
    if filters.district:
        query = query.where(Case.district_id == db.select(District.id).where(
            District.code == filters.district).correlate(None).scalar_subquery())
    return query


def _words_condition(words: str):
    if db.session.get_bind().dialect.name == "postgresql":
        return reply_document().op("@@")(db.func.plainto_tsquery(TEXT_SEARCH_CONFIG, words))
    # SQLite's LIKE ignores case for ASCII letters only: try the usual spellings of each word
    # (as typed, lower case, capitalised, upper case) so "đường" also finds "Đường".
    conditions = []
    for word in words.split():
        spellings = dict.fromkeys((word, word.lower(), word.capitalize(), word.upper()))
        conditions.append(db.or_(*(Case.public_response.like(_like_pattern(spelling), escape="\\")
                                   for spelling in spellings)))
    return db.and_(*conditions)


def _like_pattern(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def answered_reports(filters: BoardFilters) -> tuple[list[dict], int]:
    """A page of answered reports, newest answer first, and how many match."""
    matching = _filtered(db.select(Case.id).where(Case.status == ANSWERED), filters)
    words = clean_words(filters.words)
    if words:
        matching = matching.where(_words_condition(words))
    total = db.session.scalar(db.select(db.func.count()).select_from(matching.subquery()))
    per_page = min(max(filters.per_page, 1), 100)
    page = max(filters.page, 1)
    rows = db.session.execute(
        matching.with_only_columns(
            Case.id, Case.created_at, Case.closed_at, Case.public_response,
            Category.code, Category.name, Category.name_en,
            District.code, District.name, District.name_en, duty_breached().label("late"))
        .join(Category, Category.id == Case.category_id)
        .outerjoin(District, District.id == Case.district_id)
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return [{"id": r[0], "received_at": r[1], "answered_at": r[2], "reply": r[3],
             "category": {"code": r[4], "name": r[5], "name_en": r[6]},
             "district": {"code": r[7], "name": r[8], "name_en": r[9]} if r[7] else None,
             "on_time": not r[10]} for r in rows], total


def board_figures(filters: BoardFilters = BoardFilters()) -> dict:
    """Received, answered, answered on time, in progress and not accepted (category and
    district filters apply; words do not: they only concern answers)."""
    counts = dict(db.session.execute(
        _filtered(db.select(Case.status, db.func.count()).group_by(Case.status), filters)).all())
    on_time = db.session.scalar(_filtered(
        db.select(db.func.count()).select_from(Case)
        .where(Case.status == ANSWERED, ~duty_breached()), filters)) or 0
    answered = counts.get(ANSWERED, 0)
    return {"received": sum(counts.values()), "answered": answered,
            "answered_on_time": on_time,
            "on_time_rate": round(100 * on_time / answered) if answered else None,
            "in_progress": sum(n for status, n in counts.items()
                               if status not in (ANSWERED, NOT_ACCEPTED)),
            "not_accepted": counts.get(NOT_ACCEPTED, 0)}
