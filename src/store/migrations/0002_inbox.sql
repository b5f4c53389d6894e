-- The inbox: what each question is about, how it groups with others, and whether the runner
-- that asked has acted on its answer (an answer given while the engine was down is not lost).

ALTER TABLE escalations ADD COLUMN kind TEXT NOT NULL DEFAULT 'decide';
ALTER TABLE escalations ADD COLUMN skill TEXT;
ALTER TABLE escalations ADD COLUMN workflow TEXT;
-- near-identical questions share a shape: one answer can apply to all of them
ALTER TABLE escalations ADD COLUMN shape TEXT NOT NULL DEFAULT '';
-- JSON: the rule `bosun answer --remember rule` would write
ALTER TABLE escalations ADD COLUMN proposal TEXT;
ALTER TABLE escalations ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
-- user | timeout | withdrawn (the task or step ended first)
ALTER TABLE escalations ADD COLUMN decided_by TEXT;
ALTER TABLE escalations ADD COLUMN consumed_at TEXT;
CREATE INDEX escalations_step ON escalations (task_id, step_id);
CREATE INDEX escalations_batch ON escalations (batch);

ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'decide';
ALTER TABLE decisions ADD COLUMN escalation_id TEXT;

-- Answers the user asked Bosun to remember (`bosun answer --remember task|session`).
CREATE TABLE remembered (
    id            TEXT PRIMARY KEY,
    scope         TEXT NOT NULL,
    task_id       TEXT,
    session       TEXT,
    kind          TEXT NOT NULL,
    shape         TEXT NOT NULL,
    choice        TEXT NOT NULL,
    escalation_id TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX remembered_shape ON remembered (kind, shape);

-- Small facts about the project's engine, e.g. the id of the running engine's session.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
