"""Every action the moderation log records has its words on the log's page, in French and
English: the codes are read from the source, so a new action cannot be forgotten."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from schemas.trust_lists import Policy
from server.processing.reports import Resolution
from server.storage.domain_policies import Severity
from server.web.i18n import TRANSLATIONS
from server.web.moderation_actions import ACTION_NAMES

PROCESSING = Path(__file__).resolve().parent.parent / "server" / "processing"
LITERAL = re.compile(r'action="([a-z_.]+)"|log_action\(\s*connection,\s*who,\s*"([a-z_.]+)"')
FAMILY = re.compile(r'action=f"([a-z_]+)\.\{')
# The values each family's placeholder takes, from the types that bound them.
FAMILIES = {"domain": Severity, "report": Resolution, "trust_list": Policy}


def recorded_actions() -> set[str]:
    found: set[str] = set()
    families: set[str] = set()
    for path in PROCESSING.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= {first or second for first, second in LITERAL.findall(text)}
        families |= set(FAMILY.findall(text))
    assert families == set(FAMILIES), families ^ set(FAMILIES)
    for family, kind in FAMILIES.items():
        found |= {f"{family}.{value}" for value in get_args(kind)}
    return found


def test_every_recorded_action_is_named_in_french_and_english() -> None:
    actions = recorded_actions()
    assert {"domain.suspend", "block", "report.file", "trust.subscribe"} <= actions
    assert actions <= set(ACTION_NAMES), actions - set(ACTION_NAMES)
    french = TRANSLATIONS["fr"]
    assert [name for name in ACTION_NAMES.values() if french.gettext(name) == name] == []
