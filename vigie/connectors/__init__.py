"""Pull connectors: the Ushahidi v5 posts API and the KoBo API v2, pulled on a timer inside the server.

    feeds ──▶ inbox/ ──▶ ingest thread ──▶ DuckDB
     └── pull connectors: API pages ──▶ inbox files (one per page of new records)

A connector only writes inbox files (`vigie.ingest.inbox.drop_bytes`); the ingest thread validates,
locates and dedupes them like any other feed. Its cursor (latest update time pulled, plus the ids
pulled at that second) is stored in `connector_state` after each page is safely in the inbox, so a
restarted server continues where it stopped. Errors (HTTP 5xx, 401/403, timeouts, invalid JSON, a
missing token) are stored in the same row and retried with exponential backoff; the Sources page
shows the row.

Configuration: `config/connectors.toml` (or the file named by `VIGIE_CONNECTORS`); the server starts
the connectors only when that file exists. See `config/connectors.example.toml`.

| key | default | meaning |
|---|---|---|
| `name` | — | unique name: letters, digits, `_`, `-` (state row, inbox file names) |
| `kind` | — | `ushahidi` or `kobo` |
| `url` | — | base URL of the deployment, e.g. `https://benin.ushahidi.io`, `https://kf.kobotoolbox.org` |
| `token_env` | none | name of the environment variable holding the API token (never the token itself) |
| `form` | — | KoBo: asset uid (required); Ushahidi: survey id to pull only that survey (optional) |
| `mapping` | `form` | KoBo: mapping file name in `data/feeds/kobo/` (the inbox tag is `kobo:<mapping>`) |
| `interval_seconds` | 300 | pause between two runs after a success |
| `page_size` | 100 | records per request (KoBo allows 1,000 at most) |
| `timeout_seconds` | 30 | per request |
| `backoff_seconds` / `backoff_max_seconds` | 30 / 900 | after n failures in a row wait backoff × 2ⁿ⁻¹, at most the max (or `Retry-After`) |
| `overlap_seconds` | 0 | also re-read this many seconds before the cursor (ids remembered, so nothing is pulled twice) |
| `max_pages_per_run` | 50 | a longer backlog continues at the next turn, so other connectors get their turn |
| `enabled` | true | false keeps the connector's state but does not run it |
"""

from vigie.connectors.config import ConfigError, ConnectorConfig, config_path, load_config
from vigie.connectors.pull import Connector, RunResult
from vigie.connectors.scheduler import ConnectorScheduler, start

__all__ = [
    "ConfigError", "ConnectorConfig", "config_path", "load_config", "Connector", "RunResult",
    "ConnectorScheduler", "start",
]
