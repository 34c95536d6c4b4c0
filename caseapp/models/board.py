"""The indexes the public transparency board reads on case_file (services/reads/board.py).

- answered reports newest first: (status, closed_at);
- words in the published reply: a PostgreSQL full-text GIN index on
  to_tsvector('simple', public_response). The 'simple' configuration only splits and lowercases
  (no stemming, no stop words), which is right for Vietnamese, whose words are syllables
  separated by spaces. SQLite (development) has no such index: the board scans there.
"""
from sqlalchemy import Index, func, text

from .case import Case

TEXT_SEARCH_CONFIG = text("'simple'")  # a literal in the SQL, as in the index


def reply_document(column=Case.public_response):
    """The reply as a text-search document: the same expression as the index, so it is used."""
    return func.to_tsvector(TEXT_SEARCH_CONFIG, column)


ANSWERED_INDEX = Index("ix_case_status_closed", Case.status, Case.closed_at)
REPLY_WORDS_INDEX = Index("ix_case_reply_words", reply_document(), postgresql_using="gin")
