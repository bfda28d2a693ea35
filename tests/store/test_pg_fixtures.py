"""Without a PostgreSQL server the PostgreSQL tests skip, saying why; in CI they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ONE_PG_TEST = f"{HERE / 'test_pg.py'}::test_a_read_only_session_is_detected"


def _pytest_without_postgres(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_TEST_POSTGRES")}
    env.update(PG_BINDIR="/nonexistent", CI=ci, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_PG_TEST],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE.parents[1],
        timeout=120,
        check=False,
    )


def test_no_server_skips_with_the_reason_printed() -> None:
    done = _pytest_without_postgres(ci="")
    assert done.returncode == 0 and "1 skipped" in done.stdout, done.stdout + done.stderr
    assert "SKIPPED [1]" in done.stdout and "PostgreSQL is not installed" in done.stdout


def test_no_server_in_ci_fails() -> None:
    done = _pytest_without_postgres(ci="true")
    assert done.returncode != 0 and "1 error" in done.stdout, done.stdout + done.stderr
    assert "PostgreSQL tests cannot run in CI" in done.stdout
