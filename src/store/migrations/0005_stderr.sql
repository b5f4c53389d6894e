-- A step's stderr, kept apart from its stdout (the tail, as `output` is): a build's warnings
-- and a failure's cause are there, whatever the step's outcome.

ALTER TABLE steps ADD COLUMN stderr TEXT;
