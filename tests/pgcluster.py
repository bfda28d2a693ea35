"""A throwaway PostgreSQL cluster for tests, CI and benchmarks (standard library only).

    eval "$(python3 tests/pgcluster.py start)"     # exports WARROOM_TEST_POSTGRES...
    python3 tests/pgcluster.py stop "$WARROOM_TEST_POSTGRES_DIR"

`start` runs `initdb` in a new temporary directory and `pg_ctl start` on 127.0.0.1 at a
free port (the unix socket in that directory too), with durability off (fsync,
synchronous_commit: a test cluster) and password authentication over TCP. It creates the
role `warroom` (a password, CREATEDB) with its database `warroom`, and `warroom_observer`
(a password, nothing granted: tests grant it SELECT only). initdb and pg_ctl refuse to run
as root: as root they run as the `postgres` user (`runuser`), which owns the directory.
`stop` stops the server (immediate mode) and removes the directory; it is safe to call
twice or on a half-started cluster. The tests' fixture (tests/pgfixtures.py) uses the same
class when WARROOM_TEST_POSTGRES is not set.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROLE = "warroom"
OBSERVER = "warroom_observer"


def find_bindir() -> Path | None:
    """The directory with initdb and pg_ctl: $PG_BINDIR (only), else Debian's newest
    /usr/lib/postgresql/N/bin, or initdb on PATH; None when PostgreSQL is not installed."""
    chosen = os.environ.get("PG_BINDIR")
    if chosen:  # this one or none
        path = Path(chosen)
        return path if (path / "initdb").is_file() and (path / "pg_ctl").is_file() else None
    candidates: list[Path] = []

    def version(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match[1]) if match else 0

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)[::-1]
    ]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner() -> list[str]:
    """The prefix that runs a server command as the cluster's owner: `postgres` for root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]


@dataclass
class Cluster:
    directory: Path
    bindir: Path
    port: int = 0
    password: str = ""
    observer_password: str = ""
    _options: str = ""

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{ROLE}"

    @property
    def observer_url(self) -> str:
        return f"postgresql://{OBSERVER}:{self.observer_password}@127.0.0.1:{self.port}/{ROLE}"

    @classmethod
    def start(cls, bindir: Path | None = None) -> Cluster:
        bindir = bindir or find_bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed (no initdb; apt-get install postgresql)"
            )
        directory = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
        cluster = cls(directory, bindir)
        try:
            cluster._start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, *argv: str, owner: bool = True) -> str:
        prefix = _as_owner() if owner else []
        su = prefix[:1] == ["su"]  # no runuser: su takes one shell string
        command = [*prefix, shlex.join(argv)] if su else [*prefix, *argv]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip() or done.stdout}")
        return done.stdout

    def _start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.password = secrets.token_urlsafe(18)
        self.observer_password = secrets.token_urlsafe(18)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        )
        self.port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._options = options
        self.resume()
        self.psql(
            f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{self.password}'",
            f"CREATE ROLE {OBSERVER} LOGIN PASSWORD '{self.observer_password}'",
            f"CREATE DATABASE {ROLE} OWNER {ROLE}",
        )

    def resume(self) -> None:
        """Start the server (again: a restart mid-incident, in the tests)."""
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            self._options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def halt(self) -> None:
        """Stop the server, keeping its data (the tests' "the server went away")."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def psql(self, *statements: str) -> str:
        """Run each statement (its own transaction) as the superuser over the unix socket."""
        psql = self.bindir / "psql"
        return self._run(
            str(psql if psql.is_file() else "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.directory),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            *[arg for sql in statements for arg in ("-c", sql)],
            owner=False,
        )

    def stop(self) -> None:
        stop_cluster(self.directory, self.bindir)


def stop_cluster(directory: Path, bindir: Path | None = None) -> None:
    """Stop the server in `directory` (if it runs) and remove the directory."""
    bindir = bindir or find_bindir()
    data = directory / "data"
    if bindir is not None and (data / "postmaster.pid").is_file():
        argv = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        prefix = _as_owner()
        subprocess.run(
            [*prefix, shlex.join(argv)] if prefix[:1] == ["su"] else [*prefix, *argv],
            capture_output=True,
            timeout=60,
            check=False,
        )
    shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        cluster = Cluster.start()
        exports = {
            "WARROOM_TEST_POSTGRES": cluster.url,
            "WARROOM_TEST_POSTGRES_OBSERVER": cluster.observer_url,
            "WARROOM_TEST_POSTGRES_DIR": str(cluster.directory),
        }
        for name, value in exports.items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        stop_cluster(Path(argv[1]))
        return 0
    print("usage: pgcluster.py start | stop DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
