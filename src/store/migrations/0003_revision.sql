-- A counter every write transaction bumps: a value cached elsewhere (Redis) is tagged with the
-- revision it was read at, and is served only while the revision is unchanged.

CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);
