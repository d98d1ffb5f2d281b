"""A throwaway local PostgreSQL server for the scale-out tests (standard library only).

``start(folder)`` runs ``initdb`` and ``pg_ctl start`` from Debian's ``postgresql``
package (or any ``initdb`` on PATH), listening on a Unix socket in ``folder`` only (no
TCP port to collide with), trust authentication, and creates database ``archscope``;
it returns the SQLAlchemy URL. PostgreSQL refuses to run as root, so as root the server
runs as the ``postgres`` user. ``.ci/run`` uses it as a script:

    python3 tests/search/pg_server.py start DIR   # prints the URL
    python3 tests/search/pg_server.py stop DIR
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATABASE = "archscope"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise ServerUnavailable(f"{name} not found (install PostgreSQL: apt-get install postgresql)")


def _as_user() -> tuple[list[str], str]:
    """(command prefix, role name) to run the server binaries with."""
    if os.geteuid() != 0:
        return [], pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable("running as root and there is no 'postgres' user to run the server as") from None
    runuser = shutil.which("runuser") or shutil.which("su")
    if runuser is None:
        raise ServerUnavailable("running as root without runuser/su to switch to the 'postgres' user")
    prefix = ["runuser", "-u", "postgres", "--"] if runuser.endswith("runuser") else ["su", "postgres", "-c"]
    return prefix, "postgres"


def _run(prefix: list[str], args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    command = [*prefix, " ".join(args)] if prefix[:1] == ["su"] else [*prefix, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def url(folder: Path) -> str:
    _, role = _as_user()
    return f"postgresql+psycopg://{role}@/{DATABASE}?host={folder.resolve()}"


def start(folder: Path) -> str:
    """Start a server with its data and socket in ``folder``; return its URL."""
    initdb, pg_ctl, createdb = _binary("initdb"), _binary("pg_ctl"), _binary("createdb")
    prefix, role = _as_user()
    folder = folder.resolve()
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    if prefix:
        shutil.chown(folder, user="postgres")
        folder.chmod(0o755)
    if not (data / "PG_VERSION").exists():
        result = _run(prefix, [initdb, "-D", str(data), "--auth=trust", "--username", role, "--no-sync"])
        if result.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {result.stderr.strip()[-300:]}")
    running = _run(prefix, [pg_ctl, "-D", str(data), "status"]).returncode == 0
    options = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c fsync=off"
    result = subprocess.CompletedProcess([], 0) if running else _run(prefix, [pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", f'"{options}"' if prefix[:1] == ["su"] else options, "-w", "start"])
    if result.returncode != 0:
        log = (folder / "server.log").read_text()[-300:] if (folder / "server.log").exists() else ""
        raise ServerUnavailable(f"pg_ctl start failed: {(result.stderr or result.stdout).strip()[-300:]} {log}")
    for _ in range(50):
        created = _run(prefix, [createdb, "-h", str(folder), "-U", role, DATABASE])
        if created.returncode == 0 or "already exists" in created.stderr:
            return url(folder)
        time.sleep(0.2)
    raise ServerUnavailable(f"createdb failed: {created.stderr.strip()[-300:]}")


def stop(folder: Path) -> None:
    prefix, _ = _as_user()
    data = folder.resolve() / "data"
    if (data / "postmaster.pid").exists():
        _run(prefix, [_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: pg_server.py start|stop DIR")
    try:
        if sys.argv[1] == "start":
            print(start(Path(sys.argv[2])))
        else:
            stop(Path(sys.argv[2]))
    except ServerUnavailable as error:
        sys.exit(f"pg_server: {error}")
