"""Simulated social-media claims for the demo scenario: the rumours of the scenario's own
disinformation reports, as a monitoring team would log them, each seen again as it spreads.

Every claim is drawn from one simulated `desinformation` report (its words, a few minutes earlier), so
the Désinformation page suggests that report for linking. About two claims in three carry a verdict
from the feed (mostly "faux"), the rest wait for a fact-checker. A claim is seen again up to three
times, its reach growing, some fast enough to raise the "claims spreading" alert. Links point to a
reserved example domain: nothing here is a real post.
"""

from __future__ import annotations

import datetime as dt
import io
import random

import pandas as pd

PLATFORMS = ("facebook", "whatsapp", "tiktok", "x", "telegram")
VERDICTS = ("faux",) * 6 + ("trompeur",) * 2 + ("invérifiable", "vrai")
COLUMNS = ["plateforme", "lien", "texte", "vu_le", "portee", "verdict", "lien_dementi"]


def sightings(frame: pd.DataFrame, times: pd.Series, *, seed: int = 42, share: float = 0.08,
              limit: int = 120) -> pd.DataFrame:
    """One row per sighting of a simulated claim, with its local time in `vu_le`, sorted by time.
    `frame` is the scenario (demo.generate) and `times` its local times."""
    rnd = random.Random(seed)
    rumours = frame.index[frame["categorie"] == "desinformation"] if "categorie" in frame else frame.index[:0]
    picked = sorted(rnd.sample(list(rumours), min(limit, int(len(rumours) * share) + 1))) if len(rumours) else []
    rows = []
    for n, i in enumerate(picked, start=1):
        platform = rnd.choice(PLATFORMS)
        url = f"https://{platform}.example.org/simulation/{seed}-{n:04d}"
        seen = times.loc[i].to_pydatetime() - dt.timedelta(minutes=rnd.randint(5, 90))
        reach = rnd.randint(300, 6_000)
        verdict = rnd.choice(VERDICTS) if rnd.random() < 0.6 else ""
        debunk = f"https://verification.example.org/{seed}-{n:04d}" if verdict in ("faux", "trompeur") else ""
        text = str(frame.at[i, "description"])
        fast = rnd.random() < 0.25  # a claim that goes viral within hours
        for again in range(rnd.randint(1, 4)):
            rows.append([platform, url, text, seen.strftime("%Y-%m-%d %H:%M"), reach, verdict, debunk])
            seen += dt.timedelta(hours=rnd.uniform(1.0, 3.0) if fast else rnd.uniform(4.0, 30.0))
            reach = int(reach * (rnd.uniform(2.5, 5.0) if fast else rnd.uniform(1.1, 1.8))) + (12_000 if fast else 0)
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values("vu_le", kind="stable").reset_index(drop=True)


def csv_bytes(rows: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
