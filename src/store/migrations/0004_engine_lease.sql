-- One engine per project, with this database as the arbiter (see src/engine/lock/): the single
-- row names the engine that may claim tasks. A claim commits only while its engine's row is
-- here, so an engine that lost the lease can never start a task.

CREATE TABLE engine_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- a fresh id per engine start
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    -- the process's start time in clock ticks since boot (/proc/PID/stat): a reused PID differs
    pid_start INTEGER,
    host TEXT NOT NULL,
    -- with the host, where the PID can be looked up: a holder from an earlier boot is dead, one
    -- in another PID namespace cannot be judged
    boot_id TEXT,
    pid_ns TEXT,
    acquired_at TEXT NOT NULL,
    -- unix milliseconds; the holder renews it every third of its lifetime
    expires_at INTEGER NOT NULL
);
