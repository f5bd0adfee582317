// The Workers dashboard: one module, no dependencies. Everything shown is put in the page as text (textContent or
// attributes set through the DOM), never as HTML, so nothing a spec, an image name or an event says can run. The API
// token lives in sessionStorage (gone when the tab closes) and goes only in the Authorization header.

const TOKEN_KEY = 'workers.token';
const PAGE = 50;
const REPLICA_PAGE = 100;
const EVENTS_KEPT = 500;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const status = document.getElementById('status');

// ---- DOM helpers -------------------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function badge(kind, value) {
  return value ? h('span', { class: `badge ${kind}-${value}` }, value) : h('span', { class: 'muted' }, '—');
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return h('time', { datetime: iso }, d.toLocaleString());
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function table(caption, headers, rows) {
  return h('table', {},
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, headers.map(([label, cls]) => h('th', { scope: 'col', class: cls }, label)))),
    h('tbody', {}, rows));
}

function announce(text) { status.textContent = text; }

function show(...nodes) {
  main.replaceChildren(...nodes);
}

// ---- the API ------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body, contentType) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`, Accept: 'application/json' };
  if (contentType) headers['Content-Type'] = contentType;
  const response = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status === 401 || response.status === 403) {
    signOut(json?.detail ?? 'the token was refused');
    throw new ApiError(response.status, json);
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return { json, total: Number(response.headers.get('X-Total-Count') ?? NaN) };
}

const enc = encodeURIComponent;

// ---- sign in ------------------------------------------------------------------------------------------------------

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopStream();
  renderSignIn(reason);
}

function renderSignIn(reason) {
  nav.hidden = true;
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const error = h('p', { class: 'error', id: 'token-error', role: 'alert' }, reason ?? '');
  const form = h('form', { class: 'token', onsubmit: async (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    try {
      await api('GET', '/api/hosts?limit=1');
      startStream();
      if (!location.hash || location.hash === '#/') location.hash = '#/deployments';
      else route();
    } catch (err) {
      error.textContent = err.message;
    }
  } },
  h('label', { for: 'token' }, 'API token (one of WORKERS_API_TOKENS)'),
  input,
  h('button', { type: 'submit' }, 'Sign in'),
  error);
  show(h('h1', {}, 'Sign in'), h('p', {}, 'The token stays in this tab only and is sent as a bearer token to the API.'), form);
  input.focus();
}

// ---- live events (server-sent events read with fetch, so that the token travels in a header) ---------------------

let stream = null;
const liveEvents = [];
const listeners = new Set();
let refreshTimer = null;

function stopStream() {
  stream?.abort();
  stream = null;
}

async function startStream() {
  stopStream();
  const controller = new AbortController();
  stream = controller;
  let last = null;
  while (!controller.signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`, Accept: 'text/event-stream' };
      if (last !== null) headers['Last-Event-ID'] = String(last);
      const response = await fetch(last === null ? '/api/events/stream?limit=100' : '/api/events/stream', { headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
      if (response.status === 401 || response.status === 403) { signOut('the token was refused'); return; }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id = null; let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (id !== null && data) {
            last = Number(id);
            received(JSON.parse(data));
          }
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
    }
    // The stream ended (the host stopped, or the network): read on from the last event after a pause.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function received(event) {
  liveEvents.unshift(event);
  if (liveEvents.length > EVENTS_KEPT) liveEvents.length = EVENTS_KEPT;
  for (const listener of listeners) listener(event);
  // Whatever the current view shows may have changed: read it again, at most every second.
  if (!refreshTimer) {
    refreshTimer = setTimeout(() => { refreshTimer = null; refresh?.(); }, 1000);
  }
}

function eventItem(e) {
  const about = [e.name && `${e.name}${e.revision ? ` r${e.revision}` : ''}`, e.replica !== null && e.replica !== undefined && `replica ${e.replica}`, e.hostId && `on ${e.hostId}`].filter(Boolean).join(' ');
  return h('li', { 'data-sequence': e.sequence }, when(e.at), h('span', { class: 'kind' }, e.kind), about ? h('span', { class: 'mono' }, about) : null, e.message ? ` — ${e.message}` : '');
}

// ---- views --------------------------------------------------------------------------------------------------------

let refresh = null;

function pager(offset, limit, total, go) {
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return h('div', { class: 'pager' },
    h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, 'Previous'),
    h('span', {}, `${from}–${to} of ${total}`),
    h('button', { type: 'button', class: 'secondary', disabled: to >= total, onclick: () => go(offset + limit) }, 'Next'));
}

function replicaCounts(d) {
  const healthy = d.replicas.filter((r) => r.state === 'Running' && (r.health === 'Healthy' || r.health === null)).length;
  return `${healthy}/${d.replicas.length}`;
}

async function deploymentsView(params) {
  const offset = Number(params.get('offset') ?? 0);
  const { json, total } = await api('GET', `/api/deployments?offset=${offset}&limit=${PAGE}`);
  const rows = json.map((d) => h('tr', { 'data-name': d.name },
    h('td', {}, h('a', { href: `#/deployments/${enc(d.name)}` }, d.name)),
    h('td', { class: 'num' }, d.revision),
    h('td', {}, badge('state', d.state)),
    h('td', { class: 'mono' }, d.image),
    h('td', { class: 'num' }, replicaCounts(d)),
    h('td', {}, d.progress ?? d.reason ?? '')));
  show(h('h1', {}, 'Deployments'),
    json.length === 0 && total === 0 ? h('p', {}, 'Nothing is deployed. ', h('a', { href: '#/deploy' }, 'Deploy a spec.')) :
      [table('Deployments', [['Name'], ['Revision', 'num'], ['State'], ['Image'], ['Healthy replicas', 'num'], ['Progress or reason']], rows),
        pager(offset, PAGE, total, (o) => { location.hash = `#/deployments?offset=${o}`; })]);
}

function replicasTable(replicas, caption) {
  // Replicas are paged in the page itself: a deployment of 10,000 shows 100 rows at a time.
  const holder = h('div', {});
  const draw = (offset) => {
    const rows = replicas.slice(offset, offset + REPLICA_PAGE).map((r) => h('tr', { 'data-replica': r.index },
      h('td', { class: 'num' }, r.index),
      h('td', {}, h('a', { href: `#/hosts/${enc(r.hostId)}` }, r.hostId)),
      h('td', {}, badge('state', r.state)),
      h('td', {}, badge('health', r.health)),
      h('td', { class: 'mono' }, r.address ?? ''),
      h('td', { class: 'mono' }, r.containerId ? r.containerId.slice(0, 12) : ''),
      h('td', {}, r.reason ?? '')));
    holder.replaceChildren(
      table(caption, [['Replica', 'num'], ['Host'], ['State'], ['Health'], ['Address'], ['Container'], ['Reason']], rows),
      replicas.length > REPLICA_PAGE ? pager(offset, REPLICA_PAGE, replicas.length, draw) : '');
  };
  draw(0);
  return holder;
}

async function deploymentView(name) {
  let deployment;
  try {
    deployment = (await api('GET', `/api/deployments/${enc(name)}`)).json;
  } catch (err) {
    if (err.status === 404) {
      show(h('h1', {}, name), h('p', { id: 'gone' }, `There is no deployment named ${name}.`), h('a', { href: '#/deployments' }, 'All deployments'));
      return;
    }
    throw err;
  }
  const [history, events] = await Promise.all([
    api('GET', `/api/deployments/${enc(name)}/history`).then((r) => r.json),
    api('GET', `/api/events?name=${enc(name)}&limit=50`).then((r) => r.json),
  ]);
  const message = h('p', { role: 'alert', class: 'error' });
  const rollback = async (to) => {
    try {
      const { json } = await api('POST', `/api/deployments/${enc(name)}/rollback${to ? `?to=${to}` : ''}`);
      announce(`Rollback of ${name} requested (${json.image})`);
      route();
    } catch (err) { message.textContent = err.message; }
  };
  const remove = async () => {
    if (!confirm(`Delete ${name} and stop all of its replicas?`)) return;
    try {
      await api('DELETE', `/api/deployments/${enc(name)}`);
      announce(`Deletion of ${name} requested`);
      route();
    } catch (err) { message.textContent = err.message; }
  };
  const canRollBack = history.some((r) => !r.current && (r.state === 'Superseded' || r.state === 'Running'));
  show(
    h('h1', {}, 'Deployment ', h('span', { class: 'mono' }, deployment.name)),
    h('dl', { class: 'summary' },
      h('dt', {}, 'State'), h('dd', { id: 'state' }, badge('state', deployment.state)),
      h('dt', {}, 'Revision'), h('dd', { id: 'revision' }, deployment.revision),
      h('dt', {}, 'Image'), h('dd', { class: 'mono' }, deployment.image),
      h('dt', {}, 'Updated'), h('dd', {}, when(deployment.updatedAt)),
      deployment.progress ? [h('dt', {}, 'Rollout'), h('dd', { id: 'progress' }, deployment.progress)] : null,
      deployment.reason ? [h('dt', {}, 'Reason'), h('dd', { id: 'reason' }, deployment.reason)] : null),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', disabled: !canRollBack, onclick: () => rollback(null) }, 'Roll back'),
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete')),
    message,
    h('h2', {}, `Replicas (${deployment.replicas.length})`),
    replicasTable(deployment.replicas, `Replicas of ${deployment.name}`),
    h('h2', {}, 'History'),
    table(`Revisions of ${deployment.name}`, [['Revision', 'num'], ['State'], ['Image'], ['Requested by'], ['Updated'], ['Reason'], ['Action']],
      history.map((r) => h('tr', { 'data-revision': r.revision },
        h('td', { class: 'num' }, r.current ? `${r.revision} (current)` : r.revision),
        h('td', {}, badge('state', r.state)),
        h('td', { class: 'mono' }, r.image),
        h('td', {}, r.requestedBy),
        h('td', {}, when(r.updatedAt)),
        h('td', {}, r.reason ?? ''),
        h('td', {}, r.current ? '' : h('button', { type: 'button', class: 'secondary', onclick: () => rollback(r.revision) }, `Roll back to revision ${r.revision}`))))),
    h('h2', {}, 'Events'),
    h('ul', { class: 'events' }, [...events].reverse().map(eventItem)));
}

async function hostsView(params) {
  const offset = Number(params.get('offset') ?? 0);
  const { json, total } = await api('GET', `/api/hosts?offset=${offset}&limit=${PAGE}`);
  const rows = json.map((x) => h('tr', { 'data-host': x.hostId },
    h('td', {}, h('a', { href: `#/hosts/${enc(x.hostId)}` }, x.hostId)),
    h('td', {}, badge('live', x.live ? 'yes' : 'no')),
    h('td', { class: 'num' }, `${x.cpuFreeMillicores} / ${x.cpuCapacityMillicores} m`),
    h('td', { class: 'num' }, `${bytes(x.memoryFreeBytes)} / ${bytes(x.memoryCapacityBytes)}`),
    h('td', { class: 'num' }, x.replicas),
    h('td', { class: 'mono' }, x.bindAddress),
    h('td', {}, Object.entries(x.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')),
    h('td', {}, when(x.lastSeen))));
  show(h('h1', {}, 'Hosts'),
    table('Hosts', [['Host'], ['Live'], ['CPU free', 'num'], ['Memory free', 'num'], ['Replicas', 'num'], ['Bind address'], ['Labels'], ['Last seen']], rows),
    pager(offset, PAGE, total, (o) => { location.hash = `#/hosts?offset=${o}`; }));
}

async function hostView(id) {
  const { json } = await api('GET', `/api/deployments?host=${enc(id)}`);
  const replicas = json.flatMap((d) => d.replicas.map((r) => ({ ...r, deployment: d.name })));
  const rows = replicas.slice(0, 1000).map((r) => h('tr', {},
    h('td', {}, h('a', { href: `#/deployments/${enc(r.deployment)}` }, r.deployment)),
    h('td', { class: 'num' }, r.index),
    h('td', {}, badge('state', r.state)),
    h('td', {}, badge('health', r.health)),
    h('td', { class: 'mono' }, r.address ?? '')));
  show(h('h1', {}, 'Host ', h('span', { class: 'mono' }, id)),
    h('p', {}, `${replicas.length} replica(s)${replicas.length > 1000 ? ', the first 1,000 shown' : ''}.`),
    table(`Replicas on ${id}`, [['Deployment'], ['Replica', 'num'], ['State'], ['Health'], ['Address']], rows));
}

function eventsView() {
  const list = h('ul', { class: 'events', id: 'live-events', 'aria-live': 'off' }, liveEvents.slice(0, 200).map(eventItem));
  const listener = (e) => {
    list.prepend(eventItem(e));
    while (list.childElementCount > 200) list.lastElementChild.remove();
  };
  listeners.add(listener);
  show(h('h1', {}, 'Events'), h('p', { class: 'muted' }, 'Live: new events appear at the top as they happen.'), list);
  return () => listeners.delete(listener);
}

const EXAMPLE = `name: hello
image: nginx:1.27
replicas: 2
ports:
  - container: 80
resources:
  memory: 64Mi
healthCheck:
  http: { port: 80, path: / }
`;

function deployView() {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const textarea = h('textarea', { id: 'spec', name: 'spec', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'problems-heading' });
  textarea.value = sessionStorage.getItem('workers.draft') ?? EXAMPLE;
  const problemsList = h('ul', { class: 'problems', id: 'problems' });
  const outcome = h('p', { id: 'outcome', role: 'status' });
  let marked = new Set();
  const drawGutter = () => {
    const lines = textarea.value.split('\n').length;
    gutter.replaceChildren(...Array.from({ length: lines }, (_, i) => h('span', { class: marked.has(i + 1) ? 'problem' : null, 'data-line': i + 1 }, i + 1)));
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight}px`;
  };
  const showProblems = (problems) => {
    marked = new Set(problems.map((p) => p.line));
    problemsList.replaceChildren(...problems.map((p) => h('li', { 'data-line': p.line },
      h('button', { type: 'button', class: 'link', onclick: () => goToLine(p.line) }, `line ${p.line}, column ${p.column}`),
      `: ${p.path ? `${p.path}: ` : ''}${p.message}`)));
    drawGutter();
  };
  const goToLine = (line) => {
    const lines = textarea.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };
  const type = () => (textarea.value.trimStart().startsWith('{') ? 'application/json' : 'application/yaml');
  const send = async (path) => {
    sessionStorage.setItem('workers.draft', textarea.value);
    outcome.textContent = '';
    try {
      const { json } = await api('POST', path, textarea.value, type());
      showProblems([]);
      return json;
    } catch (err) {
      if (err.status === 422 && err.problem?.problems) {
        showProblems(err.problem.problems);
        outcome.textContent = `${err.problem.problems.length} problem(s): nothing was deployed.`;
        return null;
      }
      outcome.textContent = err.message;
      return null;
    }
  };
  textarea.addEventListener('input', () => { marked = new Set(); drawGutter(); });
  const check = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    const valid = await send('/api/validate');
    if (valid) outcome.textContent = `The spec is valid: ${valid.name} would run ${valid.image}.`;
  } }, 'Check');
  const deploy = h('button', { type: 'button', onclick: async () => {
    const accepted = await send('/api/deployments');
    if (accepted) {
      announce(`Deployment of ${accepted.name} requested`);
      location.hash = `#/deployments/${enc(accepted.name)}`;
    }
  } }, 'Deploy');
  show(h('h1', {}, 'Deploy a spec'),
    h('p', {}, 'YAML or JSON, as ', h('code', {}, 'workers deploy'), ' takes it. Check shows the problems at their lines without deploying anything.'),
    h('label', { for: 'spec' }, 'Spec'),
    h('div', { class: 'editor' }, gutter, textarea),
    h('div', { class: 'actions' }, check, deploy),
    outcome,
    h('h2', { id: 'problems-heading' }, 'Problems'),
    problemsList);
  drawGutter();
}

// ---- routing ------------------------------------------------------------------------------------------------------

let leave = null;

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) { renderSignIn(); return; }
  nav.hidden = false;
  leave?.(); leave = null; refresh = null;
  const [path, query] = (location.hash.slice(1) || '/deployments').split('?');
  const params = new URLSearchParams(query ?? '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${parts[0] ?? ''}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = {
    deployments: () => (parts[1] ? deploymentView(parts[1]) : deploymentsView(params)),
    hosts: () => (parts[1] ? hostView(parts[1]) : hostsView(params)),
    events: () => { leave = eventsView(); },
    deploy: () => deployView(),
  }[parts[0]] ?? (() => deploymentsView(params));
  try {
    await view();
    if (parts[0] === 'deployments' || parts[0] === 'hosts' || parts[0] === undefined) {
      refresh = () => view().catch(() => {});
    }
  } catch (err) {
    if (err.status !== 401 && err.status !== 403) show(h('h1', {}, 'Error'), h('p', { class: 'error' }, err.message));
  }
}

document.getElementById('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
if (sessionStorage.getItem(TOKEN_KEY)) startStream();
route();
// Rollouts move without events now and then (a replica turning healthy is one; a host's free capacity is not): read
// the current list or deployment again every few seconds too.
setInterval(() => { if (!document.hidden) refresh?.(); }, 5000);
