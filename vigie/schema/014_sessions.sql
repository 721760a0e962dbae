-- Sessions, version 14: the login cookies revoked before they expire. Append-only. A row with a
-- session_id ends that one session (logout); a row without one ends every session of the account
-- opened at or before revoked_at (account disabled, removed, role or password changed). No role view
-- reads this table: only vigie/sessions.py does, through the unscoped cursor. Rows are few (one a
-- logout or an account change) and stay: a history of when sessions were ended, and why.

create table if not exists session_revocations (
    revoked_at  timestamp not null,  -- UTC
    username    varchar not null,
    session_id  varchar,             -- null: every session of the account up to revoked_at
    reason      varchar not null     -- logout | disabled | removed | role | password
);
