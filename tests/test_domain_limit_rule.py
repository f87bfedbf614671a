"""One `limit` rule: the Python check (directory, people, wall) and the SQL the agenda runs give
the same answer for every URL, on real PostgreSQL."""

from __future__ import annotations

import asyncpg
import pytest

from server.processing.domain_policy import DomainPolicies
from server.storage import domain_policies
from server.storage.domain_policies import Severity

POLICIES: list[tuple[str, Severity]] = [
    ("example.org", "limit"),
    ("a.example.org", "allow"),  # an exception inside the limit...
    ("x.a.example.org", "limit"),  # ...with a limit inside the exception
    ("sus.example.org", "suspend"),
    ("port.test:8443", "limit"),
    ("dflt.test:443", "limit"),
    ("a_b.org", "limit"),  # not a canonical domain, but stored rows are not checked
    ("192.0.2.1", "limit"),
    ("[2001:db8::1]", "limit"),
]

CASES: list[tuple[str, bool]] = [
    ("https://example.org/events/1", True),
    ("https://example.org", True),
    ("HTTPS://Example.ORG./events/1", True),
    ("https://b.example.org/x", True),
    ("https://example.org:8443/x", True),
    ("https://example.org:443/x", True),
    ("https://a.example.org/x", False),
    ("https://A.Example.Org./x", False),
    ("https://y.a.example.org/x", False),
    ("https://x.a.example.org/x", True),
    ("https://deep.x.a.example.org:444/x", True),
    ("https://sus.example.org/x", False),  # suspended, not limited
    ("https://in.sus.example.org/x", False),
    ("https://badexample.org/x", False),
    ("https://example.org.evil.net/x", False),
    ("https://example.org-x.net/x", False),
    ("https://example.org../x", False),
    ("https://port.test:8443/x", True),
    ("http://port.test:8443/x", True),
    ("https://port.test.:08443/x", True),
    ("https://port.test/x", False),
    ("https://sub.port.test:8443/x", False),
    ("https://dflt.test/x", False),
    ("https://dflt.test:443/x", False),  # the default port is no port
    ("http://dflt.test:443/x", True),
    ("https://axb.org/x", False),  # `_` is a character, not a wildcard
    ("https://192.0.2.1:8080/x", True),
    ("https://192.0.2.10/x", False),
    ("https://10.192.0.2.1/x", False),
    ("https://[2001:db8::1]:8443/x", True),
    ("https://[2001:db8::10]/x", False),
    ("ftp://example.org/x", False),
    ("https://someone@example.org/x", False),
    ("not a url", False),
    ("https:///x", False),
]


async def test_python_and_sql_agree_on_every_case(pool: asyncpg.Pool) -> None:
    checker = DomainPolicies(pool)
    async with pool.acquire() as connection:
        for domain, severity in POLICIES:
            await domain_policies.set_policy(connection, domain=domain, severity=severity)
        await checker.refresh()
        rule = checker.limit_rule
        query = f"SELECT {rule.hides_sql('$1', '$2', '$3')}"
        limited, exceptions = list(rule.limited), list(rule.exceptions)
        answers = [
            (
                url,
                checker.limits_url(url),
                await connection.fetchval(query, url, limited, exceptions),
            )
            for url, _ in CASES
        ]
    assert answers == [(url, expected, expected) for url, expected in CASES]


@pytest.mark.parametrize(
    ("host", "domains", "covered"),
    [
        ("axb.org", ["a_b.org"], False),
        ("a_b.org", ["a_b.org"], True),
        ("s.a_b.org", ["a_b.org"], True),
        ("abcd.org", ["a%.org"], False),
        ("x.abcd.org", ["%.org"], False),
        ("example.org:8443", ["example.org"], True),
        ("example.org", ["example.org:8443"], False),
        ("1.2.3.4", ["2.3.4"], False),
        (None, ["example.org"], False),
    ],
)
async def test_host_covered_takes_domains_literally(
    connection: asyncpg.Connection, host: str | None, domains: list[str], covered: bool
) -> None:
    assert await connection.fetchval("SELECT host_covered($1, $2)", host, domains) is covered
