// The dashboard's state and its links to the API. It reads everything through the REST API
// with the token the reader gave (kept in localStorage, or taken once from `#token=…`), and
// follows the committed events over `/ws`: an event marks what it touched, and the marks are
// read again together a moment later (a burst of events is one read each). While there is no
// socket (the engine restarts, a proxy refuses WebSockets) it reconnects with backoff and polls
// every 2 s, so the page is never stale for long either way. A 401 asks for a token again.

import { drawDetail, drawFigures, drawInbox, drawTasks } from './view.js';

const POLL_MS = 2000;
const DEBOUNCE_MS = 150;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const STABLE_MS = 10000;
const MAX_TASKS = 100;
const TOKEN_KEY = 'bosun.token';

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  role: null,
  /** Bumped when the token changes: answers to an older one's requests are dropped. */
  generation: 0,
  tasks: new Map(),
  selected: null,
  inbox: [],
  session: null,
  socket: null,
  lastSeq: null,
  backoff: BACKOFF_FIRST_MS,
  reconnectTimer: null,
  pollTimer: null,
  flushTimer: null,
  /** What events touched since the last read. */
  dirty: { tasks: new Set(), inbox: false, session: false },
  answering: new Set(),
  answerErrors: new Map(),
  /** Why the last read failed, while it does. */
  trouble: null,
};

class Unauthorized extends Error {}
class Stale extends Error {}
class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A request to the API with the token; the JSON answer, or an Error with the API's message. */
async function api(path, options = {}) {
  const generation = state.generation;
  const headers = { Authorization: `Bearer ${state.token}` };
  if (options.body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { ...options, headers, cache: 'no-store' });
  if (generation !== state.generation) throw new Stale('the token changed');
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    signOut(body?.error ?? 'The token was refused.');
    throw new Unauthorized(body?.error ?? 'unauthorized');
  }
  if (!response.ok) throw new Refused(response.status, body?.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/** A token's claims (its role, for what the page offers; the API decides what it allows). */
function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
  } catch {
    return null;
  }
}

// Reading.

function sortedTasks() {
  return [...state.tasks.values()].sort((a, b) =>
    a.created_at === b.created_at ? b.id.localeCompare(a.id) : b.created_at.localeCompare(a.created_at));
}

function draw() {
  const tasks = sortedTasks();
  drawTasks($('tasks'), tasks, state.selected, select);
  $('tasks-empty').hidden = tasks.length > 0;
  const task = state.selected ? state.tasks.get(state.selected) : null;
  drawDetail($('detail-body'), task);
  $('detail-empty').hidden = Boolean(task);
  $('detail-title').textContent = task ? `Task ${task.id}` : 'Task';
  const canAnswer = state.role !== 'readonly';
  drawInbox($('inbox'), state.inbox, { answering: state.answering, errors: state.answerErrors, canAnswer }, answer);
  $('inbox-empty').hidden = state.inbox.length > 0;
  $('inbox-title').textContent = state.inbox.length ? `Inbox (${state.inbox.length})` : 'Inbox';
  $('readonly-note').hidden = canAnswer || state.inbox.length === 0;
  drawFigures($('figures'), state.session);
  drawLink();
}

function drawLink() {
  let text;
  if (state.trouble) text = `Cannot reach Bosun (${state.trouble}); trying again.`;
  else if (state.socket) text = 'Live.';
  else text = 'Updating every 2 s (no live connection yet).';
  if (state.role === 'readonly') text += ' Read-only token.';
  if ($('link').textContent !== text) $('link').textContent = text;
}

async function loadList() {
  const list = await api('/api/tasks');
  state.tasks = new Map(list.map((t) => [t.id, t]));
  // The list is the newest 100; a selected task older than that is still read on its own.
  if (state.selected && !state.tasks.has(state.selected)) await loadTask(state.selected);
}

async function loadTask(id) {
  try {
    state.tasks.set(id, await api(`/api/tasks/${encodeURIComponent(id)}`));
  } catch (e) {
    if (!(e instanceof Refused && e.status === 404)) throw e;
    state.tasks.delete(id);
  }
  while (state.tasks.size > MAX_TASKS) {
    const oldest = sortedTasks().at(-1).id;
    if (oldest === state.selected) break;
    state.tasks.delete(oldest);
  }
}

async function loadInbox() {
  state.inbox = await api('/api/inbox');
}

async function loadSession() {
  state.session = await api('/api/state/session');
}

/** Runs reads together; the page is drawn once after. */
async function read(reads) {
  try {
    await Promise.all(reads);
    state.trouble = null;
  } catch (e) {
    if (e instanceof Unauthorized || e instanceof Stale) return;
    state.trouble = e instanceof TypeError ? 'no answer from the engine' : e.message;
  }
  if (state.token) draw();
}

function readAll() {
  const reads = [loadList(), loadInbox(), loadSession()];
  if (state.selected) reads.push(loadTask(state.selected));
  return read(reads);
}

function select(id) {
  state.selected = id;
  draw();
  read([loadTask(id)]);
}

// Events.

function onEvent(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return;
  }
  if (Number.isInteger(message.seq)) state.lastSeq = Math.max(state.lastSeq ?? 0, message.seq);
  const event = String(message.event ?? '');
  const payload = message.payload ?? {};
  if (event === 'state.updated') {
    state.session = payload;
    draw();
    return;
  }
  if (event.startsWith('task.') || event.startsWith('escalation.')) {
    if (typeof payload.task_id === 'string') state.dirty.tasks.add(payload.task_id);
    if (event.startsWith('escalation.')) state.dirty.inbox = true;
    state.dirty.session = true;
    clearTimeout(state.flushTimer);
    state.flushTimer = setTimeout(flush, DEBOUNCE_MS);
  }
}

function flush() {
  const { tasks, inbox, session } = state.dirty;
  state.dirty = { tasks: new Set(), inbox: false, session: false };
  const reads = [...tasks].map(loadTask);
  if (inbox) reads.push(loadInbox());
  if (session) reads.push(loadSession());
  read(reads);
}

function connect() {
  clearTimeout(state.reconnectTimer);
  if (!state.token) return;
  const generation = state.generation;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = `${scheme}//${location.host}/ws?token=${encodeURIComponent(state.token)}`;
  if (state.lastSeq !== null) url += `&since=${state.lastSeq}`;
  const socket = new WebSocket(url);
  let openedAt = null;
  socket.addEventListener('open', () => {
    if (generation !== state.generation) return socket.close();
    state.socket = socket;
    openedAt = Date.now();
    // What happened before the socket (or while it was away, with no seq to replay from).
    readAll();
  });
  socket.addEventListener('message', (m) => onEvent(m.data));
  socket.addEventListener('close', () => {
    if (state.socket === socket) state.socket = null;
    if (generation !== state.generation) return;
    drawLink();
    // A socket that stayed a while starts the backoff again; one the server keeps closing
    // at once does not get a reconnect (and a full read) every second.
    if (openedAt !== null && Date.now() - openedAt > STABLE_MS) state.backoff = BACKOFF_FIRST_MS;
    const wait = state.backoff * (0.75 + Math.random() / 2);
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    state.reconnectTimer = setTimeout(connect, wait);
  });
}

/** Reads everything every 2 s while there is no socket (and the page is seen). */
function poll() {
  const generation = state.generation;
  state.pollTimer = setTimeout(async () => {
    if (generation !== state.generation) return;
    if (!state.socket && !document.hidden) await readAll();
    if (generation === state.generation) poll();
  }, POLL_MS);
}

// Answers.

async function answer(question, choice) {
  state.answering.add(question.id);
  state.answerErrors.delete(question.id);
  draw();
  try {
    await api(`/api/escalations/${encodeURIComponent(question.id)}/answer`, {
      method: 'POST',
      body: JSON.stringify({ choice }),
    });
    state.inbox = state.inbox.filter((q) => q.id !== question.id);
  } catch (e) {
    if (e instanceof Unauthorized || e instanceof Stale) return;
    state.answerErrors.set(question.id, e.message);
  } finally {
    state.answering.delete(question.id);
  }
  if (!state.token) return;
  draw();
  read([loadInbox(), loadTask(question.task_id), loadSession()]);
}

// The token.

function signIn(token) {
  stop();
  state.token = token;
  state.role = claims(token)?.role ?? null;
  localStorage.setItem(TOKEN_KEY, token);
  $('login').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  readAll();
  connect();
  poll();
}

/** Forgets the token and asks for one, saying why. */
function signOut(why) {
  stop();
  localStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.role = null;
  state.tasks = new Map();
  state.inbox = [];
  state.session = null;
  state.selected = null;
  state.lastSeq = null;
  state.trouble = null;
  $('board').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = why ?? '';
  $('link').textContent = 'Not connected.';
  $('token').value = '';
  $('token').focus();
}

function stop() {
  state.generation += 1;
  clearTimeout(state.reconnectTimer);
  clearTimeout(state.pollTimer);
  clearTimeout(state.flushTimer);
  state.socket?.close();
  state.socket = null;
  state.backoff = BACKOFF_FIRST_MS;
}

/** `#token=…` in the address: taken, then removed so it is not bookmarked or shared. */
function tokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) history.replaceState(null, '', location.pathname + location.search);
  return token;
}

function start() {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (token) signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', () => {
    const token = tokenFromFragment();
    if (token) signIn(token);
  });
  const token = tokenFromFragment() ?? localStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
  else signOut('');
}

start();
