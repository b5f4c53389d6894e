-- The API's signed tokens (DESIGN.md §10): one row per token made, never the token itself
-- (its signature is only ever printed once). A token is valid while its row exists, is not
-- revoked and has not expired; the signature proves it was made with this project's key.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('readonly', 'user', 'admin')),
    name        TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_by  TEXT NOT NULL
);
