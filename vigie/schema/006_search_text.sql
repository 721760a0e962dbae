-- Search text, version 6: each report's description folded as the search compares it (lower case,
-- accents stripped), written once at insert by vigie.ingest.pipeline instead of folding a million
-- descriptions on every search. Null when the report founded its incident and its description fits
-- in the incident's title (its first 280 characters, see vigie/ingest/group.py): the title, folded
-- in incident_current, already holds that text, and most reports are such founders, so the search
-- reads each text once. main.report_state folds the description of a moved report, which leaves
-- the title that held it. Reports stored before version 6 are folded here, once.
alter table reports add column if not exists search_text varchar;
update reports set search_text = strip_accents(lower(description))
where search_text is null and description is not null
  and (report_id <> incident_id or length(description) > 280);
