"""The functions a diagram's scripts and expressions may call, as every runner gets them."""
from __future__ import annotations

from ..cases.replies import rejection_reply
from .sla_settings import DueCalculator


SCRIPT_FUNCTION_NAMES = frozenset({"sla_due", "rejection_reply"})  # the keys given below


def script_functions(sla_due: DueCalculator | None = None) -> dict:
    """sla_due (the business calendar and SLA policies) and rejection_reply (the texts)."""
    return {"sla_due": sla_due or DueCalculator(), "rejection_reply": rejection_reply}
