"""`creditmemo terms show|set` (issue 15 item 6): the company's credit terms from the command line, validated
with the field named, audited like the API's PUT /v1/settings/credit-terms."""

from __future__ import annotations

import json

from tests.cli.test_cli import run


def test_terms_are_set_shown_and_refused_naming_the_field(demo_sqlite_url: str) -> None:
    url = demo_sqlite_url  # the demo company (tests/cli/conftest.py)
    shown = run(url, "terms", "show")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {"credit_terms": None}
    terms = {"net_days": 30, "discount_percent": "2.00", "discount_days": 10}
    set_ = run(url, "terms", "set", json.dumps(terms))
    assert set_.returncode == 0, set_.stderr
    assert json.loads(set_.stdout) == {"credit_terms": terms}
    assert json.loads(run(url, "terms", "show").stdout) == {"credit_terms": terms}
    bad = run(url, "terms", "set", '{"net_days": 10, "discount_percent": "2", "discount_days": 11}')
    assert bad.returncode == 1
    assert "credit_terms.discount_days" in bad.stderr
    assert run(url, "terms", "set", "null").returncode == 0
    assert json.loads(run(url, "terms", "show").stdout) == {"credit_terms": None}
