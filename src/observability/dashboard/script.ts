/** The dashboard's one script: polls `/dashboard/data` (the HttpOnly cookie rides along) and fills the page. */

export const DASHBOARD_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const text = (id, value) => { $(id).textContent = String(value); };
function rows(id, items, cells) {
  const body = $(id);
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    for (const cell of cells(item)) {
      const td = document.createElement('td');
      td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));
}
const pct = (share) => (share * 100).toFixed(2) + ' %';
function show(data) {
  text('phase', '(' + data.readiness + ')');
  const g = data.golden;
  text('requests', g.requests);
  text('errors', g.errors);
  text('latency', g.meanLatencyMs === null ? '-' : (g.meanLatencyMs / 1000).toFixed(2) + ' s');
  text('inflight', g.inflight);
  text('running', data.capacity.running + ' / ' + data.capacity.maxConcurrent);
  text('queued', data.capacity.queued + ' / ' + data.capacity.maxQueueSize);
  rows('queue', Object.entries(data.queueDepth), ([p, n]) => [p, n]);
  rows('critics', data.critics, (c) => [c.critic, c.available ? 'yes' : 'no', c.circuit, c.running, c.queued]);
  rows('calls', data.inflight, (c) => [c.requestId, c.tool, (c.elapsedMs / 1000).toFixed(1) + ' s']);
  rows('slos', data.slos, (s) => [s.slo, pct(s.target), pct(s.budgetRemaining), s.activeAlerts.join(', ') || '-']);
  text('updated', data.generatedAt);
}
let timer;
async function poll() {
  let next = 2000;
  try {
    const res = await fetch('/dashboard/data', { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      $('board').hidden = true;
      $('login').hidden = false;
      if (location.hash === '#denied') text('login-error', 'That token was refused (it needs the admin scope).');
      return;
    }
    const data = await res.json();
    next = data.pollMs;
    $('login').hidden = true;
    $('board').hidden = false;
    show(data);
  } catch (err) {
    text('updated', 'unreachable (' + err.message + ')');
  }
  clearTimeout(timer);
  timer = setTimeout(poll, next);
}
poll();
`;
