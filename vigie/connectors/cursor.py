"""Where the next pull starts: the latest update time pulled, and the ids pulled at that time.

APIs filter on a time at one-second resolution, so the next query starts *at* the cursor's second
(not after it) and skips the ids already pulled there: nothing at the boundary is lost, nothing is
pulled twice. With an overlap window the query starts that many seconds earlier and the ids of the
whole window are remembered, for servers whose commits can show an older time after a newer one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

Key = tuple[dt.datetime | None, str | None]  # (update time, id) of one record


def parse_time(value: object) -> dt.datetime | None:
    """A UTC datetime from ISO text (zone or not: APIs write UTC), or Unix seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value  # milliseconds
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return parse_time(int(text))
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Cursor:
    time: dt.datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)  # id -> ISO time, for ids inside the window

    def query_from(self, overlap: float) -> dt.datetime | None:
        """The first second the next query must include."""
        if self.time is None:
            return None
        return (self.time - dt.timedelta(seconds=overlap)).replace(microsecond=0)

    def is_new(self, key: Key, overlap: float) -> bool:
        time, ident = key
        if self.time is None or time is None:
            return True
        if ident is not None and ident in self.seen:
            return False
        return time >= self.query_from(overlap)

    def advanced(self, keys: list[Key], overlap: float) -> "Cursor":
        times = [t for t, _ in keys if t is not None]
        if not times:
            return self
        latest = max([self.time, *times]) if self.time else max(times)
        start = (latest - dt.timedelta(seconds=overlap)).replace(microsecond=0)
        seen = {i: t for i, t in self.seen.items() if parse_time(t) >= start}
        seen.update({i: iso(t) for t, i in keys if i is not None and t is not None and t >= start})
        return Cursor(latest, seen)

    def to_json(self) -> str | None:
        if self.time is None:
            return None
        return json.dumps({"time": iso(self.time), "seen": self.seen}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "Cursor":
        if not text:
            return cls()
        data = json.loads(text)
        seen = {str(k): str(v) for k, v in (data.get("seen") or {}).items()}
        return cls(parse_time(data.get("time")), seen)
