-- A project with months of history: the interface's first frame reads what is open and the
-- newest finished tasks by index, and the counts (`bosun stats`, the status bar) come from
-- running totals kept by triggers instead of counting every decision and task on each read.

-- The newest finished tasks first, and older pages from a (finished_at, seq) cursor.
CREATE INDEX tasks_finished ON tasks (finished_at, seq) WHERE finished_at IS NOT NULL;
-- What the interface's text filter searches in the store: a narrow copy of those columns, so a
-- search scans it rather than the rows with their frozen plans.
CREATE INDEX tasks_text ON tasks (seq, description, workflow, id, status);

-- Decisions per UTC day (the first ten characters of `at`), by what they were about, who made
-- them and what was chosen: enough to tell routine checks from choices (src/store/ledger.rs).
CREATE TABLE decision_tally (
    day        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    choice     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (day, kind, decided_by, choice)
) WITHOUT ROWID;
INSERT INTO decision_tally (day, kind, decided_by, choice, n)
    SELECT substr(at, 1, 10), kind, decided_by, choice, count(*) FROM decisions
    GROUP BY 1, 2, 3, 4;
CREATE TRIGGER decision_tally_insert AFTER INSERT ON decisions BEGIN
    INSERT INTO decision_tally (day, kind, decided_by, choice, n)
        VALUES (substr(NEW.at, 1, 10), NEW.kind, NEW.decided_by, NEW.choice, 1)
        ON CONFLICT (day, kind, decided_by, choice) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER decision_tally_delete AFTER DELETE ON decisions BEGIN
    UPDATE decision_tally SET n = n - 1
        WHERE day = substr(OLD.at, 1, 10) AND kind = OLD.kind AND decided_by = OLD.decided_by
          AND choice = OLD.choice;
END;

-- Tasks by status.
CREATE TABLE task_tally (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO task_tally (status, n) SELECT status, count(*) FROM tasks GROUP BY status;
CREATE TRIGGER task_tally_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_tally (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER task_tally_status AFTER UPDATE OF status ON tasks
    WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE task_tally SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO task_tally (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER task_tally_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_tally SET n = n - 1 WHERE status = OLD.status;
END;
