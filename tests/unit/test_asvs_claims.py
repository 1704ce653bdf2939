"""The README's security section claims OWASP ASVS 4.0.3 level-2 requirements, each with the tests that
check it; this holds the claims and the tests together, so a claim cannot outlive its test.

A test checks a requirement when its docstring (or its module's) names it ("ASVS 2.2.1"). Every claimed
requirement names at least one test that exists and says so, and every requirement a security test names
is claimed in the README (or listed there as not claimed, with why).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECURITY_TESTS = ROOT / "tests" / "integration" / "security"
ID = re.compile(r"ASVS ((?:\d+\.){2}\d+(?:(?:, | and | or |/)(?:\d+\.){2}\d+)*)")
CLAIM = re.compile(r"^\| *((?:\d+\.){2}\d+) *\|(.*)\|(.*)\| *$")


VERSION = "4.0.3"  # "ASVS 4.0.3" names the standard, not a requirement


def _ids(text: str | None) -> set[str]:
    return {i for group in ID.findall(text or "") for i in re.findall(r"(?:\d+\.){2}\d+", group)} - {VERSION}


def _tests_naming_requirements() -> dict[str, set[str]]:
    """``path::test`` -> the ASVS ids its docstring or its module's docstring names."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        module_ids = _ids(ast.get_docstring(tree))
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and n.name.startswith("test_")]
        for node in nodes:
            ids = _ids(ast.get_docstring(node)) | module_ids
            if ids:
                found[f"{path.relative_to(ROOT)}::{node.name}"] = ids
    return found


def readme_claims() -> dict[str, list[str]]:
    """Requirement -> the tests the README's security table names for it."""
    section = README.read_text().split("### Security", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    claims: dict[str, list[str]] = {}
    for line in section.splitlines():
        if match := CLAIM.match(line.strip()):
            claims[match[1]] = re.findall(r"`([^`]+::[^`]+)`", match[3])
    return claims


def test_it_claims_requirements_in_the_readme():
    assert len(readme_claims()) >= 20


def test_every_claim_names_a_test_that_checks_it():
    tests = _tests_naming_requirements()
    wrong = {req: names for req, names in readme_claims().items()
             if not names or any(req not in tests.get(name, set()) for name in names)}
    assert not wrong, f"claims whose tests are missing or do not name the requirement: {wrong}"


def test_every_requirement_a_security_test_checks_is_claimed():
    claimed = set(readme_claims())
    named = {(i, name) for name, ids in _tests_naming_requirements().items()
             if name.startswith(str(SECURITY_TESTS.relative_to(ROOT))) for i in ids}
    unclaimed = sorted({i for i, _name in named} - claimed)
    assert not unclaimed, f"security tests check requirements the README does not claim: {unclaimed}"
