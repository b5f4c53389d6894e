-- What a question asks about in full, when its line cannot say it all: an agent's tool call
-- with its input (the command, the file and its edit). NULL for the others.
ALTER TABLE escalations ADD COLUMN detail TEXT;
-- What agent steps spent is summed for the status bar and `bosun stats`: only their rows.
CREATE INDEX steps_agent ON steps (finished_at) WHERE agent IS NOT NULL;
