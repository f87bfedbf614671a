"""Issue 14: a running node fuzzed from outside answers no 5xx and logs no traceback.

The campaign is bench.fuzz's (Schemathesis on the REST API from `/api/openapi.json` with an
administrator's token, then hostile raw HTTP on the inbox), at the bounded size of
`MAILLAGE_FUZZ_SCALE` (1 by default: about a minute on two cores). The node runs in its own
process on this test's database, with the JSON log `maillage serve` writes; `python -m
bench.fuzz --scale 10` is the long run (README, "Fuzzing").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fuzz import fuzz_scale, run_campaign

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(900)]


async def test_a_fuzzed_node_answers_no_5xx_and_logs_no_traceback(
    database_url: str, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)
    report = await run_campaign(database_url, tmp_path, scale=fuzz_scale(), seed=1, note=print)

    assert report.findings == []
    assert report.api_cases > 0
    assert sum(report.inbox_statuses.values()) == max(1, round(300 * fuzz_scale()))
    # Not only refusals: some hostile requests were accepted and reached the storage.
    assert int(report.inbox_statuses["202"]) > 0
