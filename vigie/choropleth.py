"""The commune choropleth's classes and colours, shared by the interactive map (vigie/ui/maps.py) and the
static map of the daily report (vigie/report/mapsvg.py), so that both read the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

# YlOrRd, light to dark; communes with no incident are drawn in light grey.
PALETTE = [(255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
EMPTY = (236, 236, 236)


def classify(values: pd.Series) -> tuple[np.ndarray, list[float]]:
    """Class index per value (-1 for zero/missing) and the class breaks (quantiles of positive values)."""
    v = values.fillna(0).to_numpy(dtype=float)
    positive = v[v > 0]
    if positive.size == 0:
        return np.full(v.shape, -1), []
    breaks = sorted(set(np.quantile(positive, np.linspace(0, 1, len(PALETTE) + 1)[1:-1]).tolist()))
    classes = np.searchsorted(breaks, v, side="left")
    classes = np.minimum(classes, len(PALETTE) - 1)
    return np.where(v > 0, classes, -1), breaks
