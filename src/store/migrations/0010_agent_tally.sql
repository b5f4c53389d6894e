-- What agent steps spent per UTC day (DESIGN.md §8, `bosun stats`): running totals kept by
-- triggers on `steps.agent`, so the figures are read from a few rows instead of the JSON of
-- every agent step of the history. A change to a step's `agent` adds its difference to the day
-- it is recorded on; an agent step is counted on the day its `agent` is first written.

CREATE TABLE agent_tally (
    day           TEXT PRIMARY KEY,
    steps         INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    turns         INTEGER NOT NULL,
    tool_calls    INTEGER NOT NULL,
    denied        INTEGER NOT NULL
) WITHOUT ROWID;

-- What a store already held counts on the day its step started.
INSERT INTO agent_tally (day, steps, cost_usd, input_tokens, output_tokens, turns, tool_calls,
                         denied)
    SELECT substr(coalesce(started_at, finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), 1, 10),
           count(*),
           total(json_extract(agent, '$.cost_usd')),
           coalesce(sum(json_extract(agent, '$.input_tokens')), 0),
           coalesce(sum(json_extract(agent, '$.output_tokens')), 0),
           coalesce(sum(json_extract(agent, '$.turns')), 0),
           coalesce(sum(json_extract(agent, '$.tool_calls')), 0),
           coalesce(sum(json_extract(agent, '$.denied')), 0)
    FROM steps WHERE agent IS NOT NULL GROUP BY 1;

CREATE TRIGGER agent_tally_insert AFTER INSERT ON steps WHEN NEW.agent IS NOT NULL BEGIN
    INSERT INTO agent_tally (day, steps, cost_usd, input_tokens, output_tokens, turns,
                             tool_calls, denied)
        VALUES (date('now'), 1,
                coalesce(json_extract(NEW.agent, '$.cost_usd'), 0),
                coalesce(json_extract(NEW.agent, '$.input_tokens'), 0),
                coalesce(json_extract(NEW.agent, '$.output_tokens'), 0),
                coalesce(json_extract(NEW.agent, '$.turns'), 0),
                coalesce(json_extract(NEW.agent, '$.tool_calls'), 0),
                coalesce(json_extract(NEW.agent, '$.denied'), 0))
        ON CONFLICT (day) DO UPDATE SET
            steps = steps + excluded.steps,
            cost_usd = cost_usd + excluded.cost_usd,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            turns = turns + excluded.turns,
            tool_calls = tool_calls + excluded.tool_calls,
            denied = denied + excluded.denied;
END;

CREATE TRIGGER agent_tally_update AFTER UPDATE OF agent ON steps
    WHEN NEW.agent IS NOT OLD.agent BEGIN
    INSERT INTO agent_tally (day, steps, cost_usd, input_tokens, output_tokens, turns,
                             tool_calls, denied)
        VALUES (date('now'),
                (OLD.agent IS NULL) - (NEW.agent IS NULL),
                coalesce(json_extract(NEW.agent, '$.cost_usd'), 0)
                    - coalesce(json_extract(OLD.agent, '$.cost_usd'), 0),
                coalesce(json_extract(NEW.agent, '$.input_tokens'), 0)
                    - coalesce(json_extract(OLD.agent, '$.input_tokens'), 0),
                coalesce(json_extract(NEW.agent, '$.output_tokens'), 0)
                    - coalesce(json_extract(OLD.agent, '$.output_tokens'), 0),
                coalesce(json_extract(NEW.agent, '$.turns'), 0)
                    - coalesce(json_extract(OLD.agent, '$.turns'), 0),
                coalesce(json_extract(NEW.agent, '$.tool_calls'), 0)
                    - coalesce(json_extract(OLD.agent, '$.tool_calls'), 0),
                coalesce(json_extract(NEW.agent, '$.denied'), 0)
                    - coalesce(json_extract(OLD.agent, '$.denied'), 0))
        ON CONFLICT (day) DO UPDATE SET
            steps = steps + excluded.steps,
            cost_usd = cost_usd + excluded.cost_usd,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            turns = turns + excluded.turns,
            tool_calls = tool_calls + excluded.tool_calls,
            denied = denied + excluded.denied;
END;
