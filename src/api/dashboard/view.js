// The dashboard's drawing: pure functions from the data the API gave to DOM nodes. Every piece
// of text from a task, a step or a question is untrusted (an agent or a command wrote it), so it
// only ever becomes a text node: nothing here parses HTML. A list is drawn again only when what
// it shows changed, so a reader's text selection and focus survive the 2 s poll.

/** An element with attributes (`on…` functions become listeners) and children (strings become
 * text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const drawn = new WeakMap();

/** Replaces `container`'s children with `build()` unless `key` is what it drew last; keeps the
 * focus on the element with the same `data-focus` key. */
function redraw(container, key, build) {
  if (drawn.get(container) === key) return;
  drawn.set(container, key);
  const focused = document.activeElement?.dataset?.focus;
  container.replaceChildren(...build());
  if (focused) container.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
}

const percent = (rate) => (rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)} %`);
const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
const dollars = (usd) => `$${(usd ?? 0).toFixed(2)}`;

/** A time from the API (RFC 3339) as the reader's local time; the date only when not today. */
export function when(text) {
  if (!text) return '';
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return text;
  const today = new Date().toDateString() === at.toDateString();
  return today ? at.toLocaleTimeString() : at.toLocaleString();
}

function took(start, end) {
  if (!start) return '';
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${(s / 3600).toFixed(1)} h`;
}

const badge = (status) => el('span', { class: `badge status-${status}` }, status);

/** The session's figures: autonomy, cost, tasks by status, open questions. */
export function drawFigures(container, session) {
  redraw(container, JSON.stringify(session), () => {
    if (!session) return [];
    const tasks = session.tasks ?? {};
    const tile = (label, value, extra) =>
      el('div', { class: 'tile' }, el('dt', {}, label), el('dd', {}, value, extra && el('small', {}, extra)));
    return [
      tile('Autonomy today', percent(session.autonomy_rate_today), ` ${percent(session.autonomy_rate)} all time`),
      tile('Cost today', dollars(session.cost_usd_today), ` ${dollars(session.cost_usd)} all time`),
      tile('Running', tasks.running ?? 0, ` ${tasks.queued ?? 0} queued`),
      tile('Waiting', tasks.waiting ?? 0, ` ${plural(session.open_escalations ?? 0, 'open question')}`),
      tile('Succeeded', tasks.succeeded ?? 0, ` ${tasks.failed ?? 0} failed, ${tasks.cancelled ?? 0} cancelled`),
    ];
  });
}

/** The task list, newest first; `onSelect(id)` when one is chosen. */
export function drawTasks(container, tasks, selected, onSelect) {
  const shown = tasks.map((t) => [t.id, t.status, t.description, t.workflow, t.created_at]);
  redraw(container, JSON.stringify([shown, selected]), () =>
    tasks.map((t) =>
      el('li', {},
        el('button', {
          type: 'button',
          class: 'task',
          'aria-current': t.id === selected ? 'true' : false,
          dataset: { taskId: t.id, focus: `task:${t.id}` },
          onclick: () => onSelect(t.id),
        },
        badge(t.status),
        el('span', { class: 'desc' }, firstLine(t.description)),
        el('span', { class: 'meta' }, `${t.id} · ${t.workflow} · ${when(t.created_at)}`)))));
}

function firstLine(text) {
  const line = (text ?? '').split('\n', 1)[0];
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

/** One task with its steps and their output. */
export function drawDetail(container, task) {
  redraw(container, JSON.stringify(task ?? null), () => {
    if (!task) return [];
    const facts = [
      ['Status', badge(task.status)],
      ['Workflow', [task.workflow, el('small', { class: 'muted' }, ` (${task.workflow_reason})`)]],
      ['Priority', task.priority],
      ['Submitted', when(task.created_at)],
      [task.finished_at ? 'Took' : 'Running for', took(task.started_at, task.finished_at)],
      ['Cost', task.cost_usd ? dollars(task.cost_usd) : ''],
      ['Error', task.error],
    ].filter(([, value]) => value);
    return [
      el('p', { class: 'description' }, task.description),
      el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      el('h3', {}, 'Steps'),
      task.steps.length
        ? el('ol', { class: 'steps' }, task.steps.map(drawStep))
        : el('p', { class: 'muted' }, 'No step has started yet.'),
    ];
  });
}

function drawStep(step) {
  const facts = [
    step.skill,
    step.attempts > 1 && `${step.attempts} attempts`,
    step.exit_code !== null && step.exit_code !== undefined && `exit ${step.exit_code}`,
    step.choice && `chose ${step.choice}`,
    took(step.started_at, step.finished_at),
    step.agent?.tool && `now: ${step.agent.tool}`,
  ].filter(Boolean);
  return el('li', { class: 'step', dataset: { stepId: step.id } },
    el('div', { class: 'step-head' }, badge(step.status), el('strong', {}, step.id),
      el('span', { class: 'meta' }, facts.join(' · '))),
    step.error && el('p', { class: 'error' }, step.error),
    step.output && el('pre', { class: 'output', tabindex: 0, 'aria-label': `output of ${step.id}` }, step.output),
    step.stderr && el('pre', { class: 'output stderr', tabindex: 0, 'aria-label': `errors of ${step.id}` }, step.stderr));
}

/** The open questions, one button per option. `state` says which are being answered, the error
 * of the last answer to each, and whether this token may answer at all. */
export function drawInbox(container, questions, state, onAnswer) {
  const key = JSON.stringify([questions, [...state.answering], [...state.errors], state.canAnswer]);
  redraw(container, key, () =>
    questions.map((q) => {
      const busy = state.answering.has(q.id);
      const where = [q.workflow, q.step_id].filter(Boolean).join(' / ');
      return el('li', { class: `question risk-${q.risk}`, dataset: { escalationId: q.id, taskId: q.task_id } },
        el('p', { class: 'ask' }, q.question),
        el('p', { class: 'meta' },
          `${q.risk} risk · ${q.task_id}${where ? ` · ${where}` : ''} · answer by ${when(q.deadline)} (else ${q.default})`),
        q.reason && el('p', { class: 'reason' }, q.reason),
        q.detail && el('pre', { class: 'output' }, q.detail),
        el('div', { class: 'options', role: 'group', 'aria-label': `Answers to: ${q.question}` },
          q.options.map((option) =>
            el('button', {
              type: 'button',
              class: option === q.default ? 'option default' : 'option',
              disabled: busy || !state.canAnswer,
              dataset: { choice: option, focus: `answer:${q.id}:${option}` },
              onclick: () => onAnswer(q, option),
            }, option))),
        state.errors.has(q.id) && el('p', { class: 'error', role: 'alert' }, state.errors.get(q.id)));
    }));
}
