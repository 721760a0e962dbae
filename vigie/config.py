"""Settings read from the environment, with defaults that make `make run` work on a fresh clone.

| variable      | default                  | meaning                                                     |
|---------------|--------------------------|-------------------------------------------------------------|
| VIGIE_HOME    | ./state                  | state folder: DuckDB file, inbox, processed files, extensions |
| VIGIE_PACK    | benin                    | country pack under data/packs/                               |
| VIGIE_USERS   | config/users.toml, else config/users.demo.toml | accounts file (hashed passwords)       |
| VIGIE_DEMO    | 0                        | 1: label data as simulated and run the simulated operators  |
| VIGIE_CLOCK   | real                     | `data`: "now" is the latest incident time (replays, demo)    |
| VIGIE_CONNECTORS | config/connectors.toml | pull connectors (Ushahidi, KoBo); none when the file is absent |
| VIGIE_DUCKDB_MEMORY | 1GB                | DuckDB's memory limit in the server (it spills to disk beyond) |
| VIGIE_SESSION_HOURS | 12                 | lifetime of the login cookie (vigie/sessions.py)             |
| VIGIE_SESSION_SECRET | state/session-secret | key that signs the login cookie (generated once, mode 600) |
| VIGIE_LAKE_CATALOG | unset                | a DuckLake shared by several processes (vigie/lake.py): one `ingestd`, app replicas |
| VIGIE_REPLICA | 0                         | 1: this app process only reads, and writes operators' actions (`serve --replica`) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKS_DIR = ROOT / "data" / "packs"
QUERIES_DIR = ROOT / "queries"


@dataclass(frozen=True)
class Settings:
    home: Path
    pack: str
    users_file: Path
    demo: bool
    clock: str
    replica: bool = False  # an app replica over a shared lake: no migrations, no background writer

    @property
    def shared(self) -> bool:
        """The data is shared by several processes (a lake): only `vigie ingestd` ingests."""
        return bool(os.environ.get("VIGIE_LAKE_CATALOG", "").strip())

    @property
    def db_path(self) -> Path:
        return self.home / "vigie.duckdb"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def processed(self) -> Path:
        return self.home / "processed"

    @property
    def failed(self) -> Path:
        return self.home / "failed"

    @property
    def extension_dir(self) -> Path:
        return self.home / "extensions"

    def ensure_dirs(self) -> None:
        for folder in (self.home, self.inbox, self.processed, self.failed, self.extension_dir):
            folder.mkdir(parents=True, exist_ok=True)


def state_secret(home: Path, filename: str, env_var: str) -> str:
    """A secret from the environment, else one generated once into the state folder (mode 600).

    Created beside and then linked into place, so two threads starting at once agree on one value."""
    if os.environ.get(env_var):
        return os.environ[env_var]
    import secrets

    home.mkdir(parents=True, exist_ok=True)
    path = home / filename
    if not path.exists():
        tmp = home / f".{filename}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_urlsafe(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # fails if another thread made it first: theirs is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "oui"}


def load_settings() -> Settings:
    home = Path(os.environ.get("VIGIE_HOME") or ROOT / "state").resolve()
    users = os.environ.get("VIGIE_USERS")
    if users:
        users_file = Path(users)
    elif (ROOT / "config" / "users.toml").exists():
        users_file = ROOT / "config" / "users.toml"
    else:
        users_file = ROOT / "config" / "users.demo.toml"
    return Settings(
        home=home,
        pack=os.environ.get("VIGIE_PACK", "benin"),
        users_file=users_file,
        demo=_flag("VIGIE_DEMO"),
        clock=os.environ.get("VIGIE_CLOCK", "real"),
        replica=_flag("VIGIE_REPLICA"),
    )
