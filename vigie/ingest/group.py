"""Grouping new reports into incidents.

Runs inside the ingest transaction on the temp table `fresh` (new, non-duplicate reports with their
report_id) and must give each of them an `incident_id`, inserting the incidents it founds.

Today every report founds its own incident, whose id is the report's id. Near-duplicate grouping
(same commune and category, within a time window, similar text) replaces this step.
"""

from __future__ import annotations


def assign_incidents(cur) -> None:
    cur.execute("alter table fresh add column incident_id bigint")
    cur.execute("update fresh set incident_id = report_id")
    cur.execute(
        """
        insert into main.incidents
        select incident_id, received_at, occurred_at, occurred_local, commune_code, departement_code,
               lat, lon, geo_precision, category, severity, left(description, 280), place_text, source
        from fresh
        """
    )
