-- An agent step's session and spending (DESIGN.md §8), as JSON: adapter, session_id, model,
-- turns, cost_usd, input_tokens, output_tokens, tool_calls, denied. The session id is written
-- before the agent starts, so a restart resumes the session instead of starting over.
ALTER TABLE steps ADD COLUMN agent TEXT;
