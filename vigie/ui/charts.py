"""The campaign timeline: incidents per day or hour stacked by category, phases as bands."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from vigie.geo import Election
from vigie.taxonomy import CATEGORY_COLORS, category_label

PHASE_COLORS = {"precampagne": "#e5e7eb", "campagne": "#dbeafe", "silence": "#fde68a", "scrutin": "#fecaca",
                "resultats": "#dcfce7"}


def timeline_chart(frame: pd.DataFrame, election: Election | None, bucket: str, lang: str,
                   phase_label, date_from: dt.date, date_to: dt.date, titles: dict[str, str]) -> alt.LayerChart:
    data = frame.copy()
    data["label"] = [category_label(None if c == "non_categorise" else c, lang, short=True) for c in data["category"]]
    order = [category_label(c, lang, short=True) for c in CATEGORY_COLORS] + [category_label(None, lang)]
    colours = list(CATEGORY_COLORS.values()) + ["#d4d4d4"]
    x_domain = [pd.Timestamp(date_from).isoformat(), pd.Timestamp(date_to + dt.timedelta(days=1)).isoformat()]
    x = alt.X("bucket:T", title=None, scale=alt.Scale(domain=x_domain),
              axis=alt.Axis(format="%d/%m", labelAngle=0))
    bars = alt.Chart(data).mark_bar().encode(
        x=x,
        y=alt.Y("sum(n_incidents):Q", title=titles["y"], stack="zero"),
        color=alt.Color("label:N", title=titles["category"], scale=alt.Scale(domain=order, range=colours),
                        sort=order),
        order=alt.Order("label:N"),
        tooltip=[alt.Tooltip("bucket:T", title=titles["when"], format="%d/%m/%Y %H:%M" if bucket == "hour" else "%d/%m/%Y"),
                 alt.Tooltip("label:N", title=titles["category"]),
                 alt.Tooltip("sum(n_incidents):Q", title=titles["y"])],
    )
    layers: list[alt.Chart] = []
    if election:
        phases = pd.DataFrame(
            [{"start": pd.Timestamp(p.start), "end": pd.Timestamp(p.end + dt.timedelta(days=1)),
              "phase": phase_label(p.code), "code": p.code} for p in election.phases]
        )
        bands = alt.Chart(phases).mark_rect(opacity=0.55).encode(
            x="start:T", x2="end:T",
            color=alt.Color("code:N", scale=alt.Scale(domain=list(PHASE_COLORS), range=list(PHASE_COLORS.values())),
                            legend=None),
            tooltip=[alt.Tooltip("phase:N", title=titles["phase"])],
        )
        # Name the bands wide enough to hold a label; the short ones (silence, vote) have a tooltip.
        wide = phases[(phases["end"] - phases["start"]) >= pd.Timedelta(days=3)]
        names = alt.Chart(wide).mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=11,
                                            color="#374151").encode(x="start:T", y=alt.value(0), text="phase:N")
        day = pd.DataFrame({"day": [pd.Timestamp(election.election_day) + pd.Timedelta(hours=12)],
                            "label": [titles["election_day"]]})
        rule = alt.Chart(day).mark_rule(color="#b91c1c", strokeDash=[6, 3], size=2).encode(
            x="day:T", tooltip=[alt.Tooltip("label:N", title=titles["election_day"])])
        rule_label = alt.Chart(day).mark_text(align="left", baseline="top", dx=4, dy=16, fontSize=11,
                                              color="#b91c1c", fontWeight="bold").encode(
            x="day:T", y=alt.value(0), text="label:N")
        layers = [bands, names, rule, rule_label]
    return alt.layer(*layers, bars).resolve_scale(color="independent").properties(height=420)


@st.cache_data(max_entries=64, show_spinner=False)
def timeline_spec(frame: pd.DataFrame, election: Election | None, bucket: str, lang: str, _phase_label,
                  date_from: dt.date, date_to: dt.date, titles: dict[str, str]) -> dict:
    """The timeline's Vega-Lite spec, built and validated by altair once per data and settings (the
    phase names follow `lang`). Building it is most of a warm Chronologie page's server time; with the
    spec cached, the viewers of the same figures share it as they share the query's result."""
    spec = timeline_chart(frame, election, bucket, lang, _phase_label, date_from, date_to, titles).to_dict()
    # altair's default theme sizes views at 300 px; Streamlit renders altair charts without that theme.
    config = spec.get("config", {})
    config.pop("view", None)
    if not config:
        spec.pop("config", None)
    return spec
