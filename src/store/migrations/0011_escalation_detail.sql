-- What a question asks about in full, when its line cannot say it all: an agent's tool call
-- with its input (the command, the file and its edit). NULL for the others.
ALTER TABLE escalations ADD COLUMN detail TEXT;
