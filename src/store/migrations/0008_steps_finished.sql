-- The steps that finished a moment ago, whose last lines the Logs pane shows while work runs:
-- read by this index rather than by a scan of every step of the history.
CREATE INDEX steps_finished ON steps (finished_at) WHERE finished_at IS NOT NULL;
