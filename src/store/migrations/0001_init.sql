-- Bosun's durable state. The tasks and steps rows are the current snapshot; events is the
-- append-only history, read as a short tail by index, never replayed whole.

CREATE TABLE tasks (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    workflow         TEXT NOT NULL,
    workflow_reason  TEXT NOT NULL,
    -- the resolved workflow and its skills, frozen at submission (JSON)
    plan             TEXT NOT NULL,
    status           TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    inputs           TEXT NOT NULL,
    run_id           TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);
CREATE INDEX tasks_queue ON tasks (status, priority DESC, seq);
CREATE INDEX tasks_cancel ON tasks (cancel_requested) WHERE cancel_requested = 1;

CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    number      INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX runs_task ON runs (task_id);

CREATE TABLE steps (
    run_id      TEXT NOT NULL REFERENCES runs (id),
    id          TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    ord         INTEGER NOT NULL,
    parent      TEXT,
    skill       TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER,
    output      TEXT,
    error       TEXT,
    choice      TEXT,
    -- the step's process: its group is ended by a restarted engine if it outlived its engine
    pid         INTEGER,
    proc_start  INTEGER,
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX steps_task ON steps (task_id);
CREATE INDEX steps_live ON steps (status) WHERE status IN ('running', 'waiting');

CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    task_id TEXT,
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_task ON events (task_id, seq);

CREATE TABLE decisions (
    id         TEXT PRIMARY KEY,
    task_id    TEXT NOT NULL,
    step_id    TEXT,
    question   TEXT NOT NULL,
    options    TEXT NOT NULL,
    choice     TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    reason     TEXT NOT NULL,
    risk       TEXT,
    asked_at   TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX decisions_task ON decisions (task_id, at);

CREATE TABLE escalations (
    id             TEXT PRIMARY KEY,
    task_id        TEXT NOT NULL,
    step_id        TEXT,
    question       TEXT NOT NULL,
    options        TEXT NOT NULL,
    default_choice TEXT NOT NULL,
    risk           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    batch          INTEGER,
    created_at     TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    answered_at    TEXT,
    choice         TEXT
);
CREATE INDEX escalations_open ON escalations (answered_at, created_at);

CREATE TABLE logs (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    level   TEXT NOT NULL,
    task_id TEXT,
    step_id TEXT,
    message TEXT NOT NULL
);
CREATE INDEX logs_task ON logs (task_id, seq);
