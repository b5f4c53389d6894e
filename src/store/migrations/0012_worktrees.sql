-- Tasks that run in a git worktree of their own (DESIGN.md §9), and the queue their branches
-- land through.

-- One row per worktree task, written before the worktree is made (state 'creating') and kept
-- after it is gone (merged, discarded, removed) as the record of what became of it.
CREATE TABLE worktrees (
    task_id     TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    branch      TEXT NOT NULL,
    -- the branch it merges into; NULL when made from a commit no branch names
    base        TEXT,
    base_commit TEXT,
    state       TEXT NOT NULL,
    -- which block of ports it holds (BOSUN_PORT_BASE = port_base)
    port_slot   INTEGER NOT NULL,
    port_base   INTEGER NOT NULL,
    -- JSON array: files changed since it left its base, uncommitted changes included
    changed     TEXT NOT NULL DEFAULT '[]',
    ahead       INTEGER NOT NULL DEFAULT 0,
    behind      INTEGER NOT NULL DEFAULT 0,
    -- JSON array: the files its last merge conflicted in
    conflicts   TEXT NOT NULL DEFAULT '[]',
    error       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX worktrees_ports ON worktrees (port_slot)
    WHERE state NOT IN ('merged', 'discarded', 'removed');
CREATE INDEX worktrees_live ON worktrees (state);

-- Merge requests, one at a time per base branch, in the order asked.
CREATE TABLE merges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id      TEXT NOT NULL,
    into_branch  TEXT NOT NULL,
    strategy     TEXT NOT NULL,
    -- queued | running | merged | conflict | failed
    status       TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    -- the process merging, as `pid:start-time`: a dead one's merge is recovered
    holder       TEXT,
    -- where the base pointed and the commit it moves to: recorded before the base moves
    old_commit   TEXT,
    new_commit   TEXT,
    error        TEXT,
    requested_at TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX merges_queue ON merges (into_branch, status, id);
CREATE UNIQUE INDEX merges_one_per_task ON merges (task_id)
    WHERE status IN ('queued', 'running');
