"""The connectors file: `config/connectors.toml` (or the file named by `VIGIE_CONNECTORS`).

Tokens are never written in it: `token_env` names the environment variable that holds one.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from vigie.config import ROOT

KINDS = ("ushahidi", "kobo")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """The connectors file cannot be used; the message names the file, the connector and the key."""


@dataclass(frozen=True)
class ConnectorConfig:
    name: str
    kind: str
    url: str
    token_env: str | None = None
    form: str | None = None
    mapping: str | None = None
    interval_seconds: float = 300.0
    page_size: int = 100
    timeout_seconds: float = 30.0
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 900.0
    overlap_seconds: float = 0.0
    max_pages_per_run: int = 50
    enabled: bool = True

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")


_NUMBERS = {
    "interval_seconds": (0.01, None),
    "page_size": (1, 1000),  # KoBo refuses more than 1,000 per page
    "timeout_seconds": (0.01, 600),
    "backoff_seconds": (0.01, None),
    "backoff_max_seconds": (0.01, None),
    "overlap_seconds": (0, 86400),
    "max_pages_per_run": (1, None),
}
_INTEGERS = {"page_size", "max_pages_per_run"}


def config_path() -> Path:
    return Path(os.environ.get("VIGIE_CONNECTORS") or ROOT / "config" / "connectors.toml")


def load_config(path: Path) -> list[ConnectorConfig]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name} illisible : {exc}") from exc
    unknown = set(data) - {"connector"}
    if unknown:
        raise ConfigError(f"{path.name} : clé inconnue {sorted(unknown)} (attendu : [[connector]])")
    entries = data.get("connector") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path.name} : écrire chaque connecteur sous [[connector]]")
    configs = [_one(path.name, i, entry) for i, entry in enumerate(entries, start=1)]
    names = [c.name for c in configs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path.name} : noms de connecteur en double {duplicates}")
    return configs


def _one(file_name: str, index: int, entry: dict) -> ConnectorConfig:
    where = f"{file_name}, connecteur n° {index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} : table attendue")
    allowed = {f.name for f in fields(ConnectorConfig)}
    unknown = set(entry) - allowed
    if unknown:
        raise ConfigError(f"{where} : clé inconnue {sorted(unknown)} (clés : {', '.join(sorted(allowed))})")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where} : name doit être fait de lettres, chiffres, _ ou - (40 au plus)")
    where = f"{file_name}, connecteur « {name} »"
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where} : kind = {kind!r}, attendu {' ou '.join(KINDS)}")
    url = entry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} : url doit être une adresse http(s)://…")
    if parts.username or parts.password or parts.query:
        raise ConfigError(f"{where} : url sans identifiants ni paramètres (le jeton vient de token_env)")
    token_env = entry.get("token_env")
    if token_env is not None and (not isinstance(token_env, str) or not _ENV.match(token_env)):
        raise ConfigError(f"{where} : token_env doit être un nom de variable d'environnement")
    for key in ("form", "mapping"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise ConfigError(f"{where} : {key} doit être un texte non vide")
    if kind == "kobo" and not entry.get("form"):
        raise ConfigError(f"{where} : form (uid de l'asset KoBo) est obligatoire")
    values = {k: v for k, v in entry.items() if k in _NUMBERS}
    for key, value in values.items():
        low, high = _NUMBERS[key]
        wanted = int if key in _INTEGERS else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise ConfigError(f"{where} : {key} doit être un nombre{' entier' if key in _INTEGERS else ''}")
        if value < low or (high is not None and value > high):
            raise ConfigError(f"{where} : {key} = {value} hors de [{low}, {high if high is not None else '∞'}]")
    if "enabled" in entry and not isinstance(entry["enabled"], bool):
        raise ConfigError(f"{where} : enabled vaut true ou false")
    return ConnectorConfig(**entry)
