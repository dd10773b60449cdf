import os
import sys

import pytest
from hypothesis import settings

# CI draws the same examples on every run (a red CI can be reproduced, and a green one is not
# luck); on a developer's machine hypothesis explores anew each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBLEMS = os.path.join(ROOT, "problems")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current output (review the diff!)")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


@pytest.fixture
def problems_dir():
    return PROBLEMS


@pytest.fixture(autouse=True)
def _no_columns(monkeypatch):
    """Text output honours COLUMNS even when piped: the tests' own output must not depend on the
    terminal they are run from (a test that wants a width sets it)."""
    monkeypatch.delenv("COLUMNS", raising=False)
