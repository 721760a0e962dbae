-- Grouping keys, version 5: each report's words as compared for near-duplicates (accent-folded,
-- lower-case, SMS shorthand written out, no stop words) and the specific names it mentions (proper
-- nouns, clock times, station numbers), computed once at insert by vigie.ingest.group so that grouping
-- a new file never re-reads and re-folds the stored texts. Null for reports stored before version 5:
-- grouping computes them from the description when it meets one.
alter table reports add column if not exists match_text varchar;
alter table reports add column if not exists match_names varchar;  -- space-separated
