-- A failed task the user dismissed no longer asks for attention; and a failure is settled by a
-- later success of the same workflow, found through this index.

ALTER TABLE tasks ADD COLUMN dismissed_at TEXT;
CREATE INDEX tasks_workflow ON tasks (workflow, status, seq);
