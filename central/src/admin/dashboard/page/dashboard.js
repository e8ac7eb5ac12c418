/* The operators' dashboard: renders central's snapshots (server-sent events every 2 s) and calls the
 * admin API for inspect, replay, catalog reload, backfill and reconciliation. Plain browser JS, no build. */
/* global document, window, fetch, EventSource, URLSearchParams */
'use strict';

const $ = (selector) => document.querySelector(selector);
const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const today = () => new Date().toISOString().slice(0, 10);
let events;
let reconcileDate = new URLSearchParams(window.location.search).get('date') || '';

function ago(iso) {
  if (!iso) return '–';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function toast(text, kind = 'ok') {
  const element = $('#toast');
  element.textContent = text;
  element.className = `show ${kind}`;
  window.clearTimeout(toast.timer);
  toast.timer = window.setTimeout(() => (element.className = ''), 4000);
}

async function call(method, url, body) {
  const response = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(json?.error ? `${json.error.code ?? response.status}: ${json.error.message}` : `HTTP ${response.status}`);
  return json;
}

function failed(part) {
  return part && typeof part === 'object' && !Array.isArray(part) && typeof part.error === 'string';
}

function rowsOr(tbody, part, columns, render) {
  if (failed(part)) tbody.innerHTML = `<tr><td colspan="${columns}" class="error">${escapeHtml(part.error)}</td></tr>`;
  else if (part.length === 0) tbody.innerHTML = `<tr><td colspan="${columns}" class="muted">none</td></tr>`;
  else tbody.innerHTML = part.map(render).join('');
}

function renderStores(stores) {
  rowsOr($('#stores tbody'), stores, 5, (s) => `<tr data-store-id="${escapeHtml(s.store_id)}">
    <td>${escapeHtml(s.store_id)}</td><td title="${escapeHtml(s.last_seen_at)}">${ago(s.last_seen_at)}</td>
    <td class="num">${s.high_water_seq}</td><td class="num">${s.stored_seq}</td>
    <td class="num ${s.lag > 1000 ? 'warn' : ''}">${s.lag}</td></tr>`);
  $('#chip-stores').textContent = failed(stores) ? 'stores ?' : `stores ${stores.length} · max lag ${Math.max(0, ...stores.map((s) => s.lag))}`;
}

function renderQueue(queue, bullBoard) {
  for (const cell of document.querySelectorAll('[data-count]')) cell.textContent = failed(queue) ? '?' : queue[cell.dataset.count];
  $('#chip-queue').textContent = failed(queue) ? 'queue unreachable' : `queue ${queue.waiting} waiting · ${queue.active} active`;
  $('#chip-queue').classList.toggle('bad', failed(queue));
  const link = $('#bull-board-link');
  link.hidden = !bullBoard;
  if (bullBoard) link.href = bullBoard;
}

function renderDeadLetters(part) {
  const letters = failed(part) ? part : part.letters;
  rowsOr($('#dead-letters tbody'), letters, 8, (l) => `<tr data-letter-id="${escapeHtml(l.id)}" class="${l.replayed_at ? 'replayed' : ''}">
    <td title="${escapeHtml(l.created_at)}">${ago(l.created_at)}</td><td>${escapeHtml(l.store_id ?? '–')}</td><td class="num">${l.seq ?? '–'}</td>
    <td>${escapeHtml(l.stage)}</td><td><code>${escapeHtml(l.reason_code)}</code><div class="reason">${escapeHtml(l.reason)}</div></td>
    <td class="num">${l.attempts}</td>
    <td class="status">${l.replayed_at ? `<span class="badge ok">replayed</span> ${ago(l.replayed_at)}` : '<span class="badge warn">waiting</span>'}</td>
    <td class="actions"><button type="button" data-action="inspect">Inspect</button>${l.replayed_at ? '' : '<button type="button" data-action="replay" class="primary">Replay</button>'}</td></tr>`);
  $('#chip-letters').textContent = failed(part) ? 'dead letters ?' : `dead letters ${part.waiting} waiting`;
  $('#chip-letters').classList.toggle('warn', !failed(part) && part.waiting > 0);
}

function renderRuns(runs, dagsUrl) {
  $('#dags-url').textContent = `runner ${dagsUrl}`;
  rowsOr($('#dag-runs tbody'), runs, 6, (r) => {
    const took = ((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000).toFixed(1);
    return `<tr><td>${escapeHtml(r.job_id)}</td><td>${escapeHtml(r.partition)}</td><td><span class="badge ${r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn'}">${escapeHtml(r.status)}</span></td>
      <td title="${escapeHtml(r.started_at)}">${ago(r.started_at)}</td><td class="num">${took} s</td><td>${(r.tasks ?? []).map((t) => escapeHtml(`${t.task}:${t.status}`)).join(' ')}</td></tr>`;
  });
  if (!failed(runs)) {
    const select = $('#backfill-job');
    for (const job of new Set(runs.map((r) => r.job_id))) if (![...select.options].some((o) => o.value === job)) select.add(new window.Option(job, job));
  }
}

function renderReconcile(day) {
  const tbody = $('#reconcile tbody');
  const chip = $('#chip-reconcile');
  if (!day || day.error) {
    $('#reconcile-summary').textContent = day ? day.error : '–';
    tbody.innerHTML = '';
    chip.textContent = 'reconcile ?';
    return;
  }
  const s = day.summary;
  $('#reconcile-summary').textContent = s.stores === 0 ? `${day.date}: not checked yet — "Check now" runs it` : `${day.date}: ${s.stores} stores · ${s.match} match · ${s.mismatched} mismatched · ${s.seq_gaps} seq gaps`;
  chip.textContent = s.stores === 0 ? `reconcile ${day.date} –` : s.mismatched + s.seq_gaps === 0 ? `reconcile ${day.date} ✓ all match` : `reconcile ${day.date} ✗ ${s.mismatched} mismatched`;
  chip.className = `chip ${s.stores === 0 ? '' : s.mismatched + s.seq_gaps === 0 ? 'ok' : 'bad'}`;
  tbody.innerHTML = day.stores.map((r) => `<tr><td>${escapeHtml(r.store_id)}</td>
    <td class="num">${r.order_sales} · ${r.order_total_minor}</td><td class="num">${r.warehouse_sales} · ${r.warehouse_total_minor}</td>
    <td class="num">${r.seq_gaps}</td><td><span class="badge ${r.status === 'match' ? 'ok' : 'bad'}">${escapeHtml(r.status)}</span></td></tr>`).join('');
}

function render(snapshot) {
  renderStores(snapshot.stores);
  renderQueue(snapshot.queue, snapshot.bull_board);
  renderDeadLetters(snapshot.dead_letters);
  renderRuns(snapshot.dag_runs, snapshot.dags_url);
  renderReconcile(snapshot.reconcile);
  $('#live-text').textContent = `live · ${new Date(snapshot.at).toLocaleTimeString()}`;
}

function connect() {
  events?.close();
  events = new EventSource(`/v1/admin/events?date=${encodeURIComponent(reconcileDate)}`);
  events.addEventListener('snapshot', (message) => {
    $('#live-dot').className = 'dot on';
    render(JSON.parse(message.data));
  });
  events.onerror = () => {
    $('#live-dot').className = 'dot off';
    $('#live-text').textContent = 'reconnecting…';
  };
}

$('#dead-letters tbody').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = button.closest('tr').dataset.letterId;
  try {
    if (button.dataset.action === 'inspect') {
      const letter = await call('GET', `/v1/admin/dead-letters/${encodeURIComponent(id)}`);
      let payload = letter.payload;
      try { payload = JSON.stringify(JSON.parse(payload), null, 2); } catch { /* not JSON: shown as received */ }
      $('#inspect-title').textContent = `${letter.reason_code} · ${letter.store_id ?? '?'} seq ${letter.seq ?? '?'}`;
      $('#inspect-body').textContent = `${letter.reason}\n\n${payload}`;
      $('#inspect').showModal();
    } else {
      button.disabled = true;
      const result = await call('POST', `/v1/admin/dead-letters/${encodeURIComponent(id)}/replay`);
      toast(`replayed ${id.slice(0, 8)}…: ${result.outcome}`);
    }
  } catch (error) {
    button.disabled = false;
    toast(error.message, 'bad');
  }
});

$('#reload-catalog').addEventListener('click', async () => {
  try {
    await call('POST', '/v1/admin/catalog/reload');
    toast('catalog reloaded');
  } catch (error) {
    toast(error.message, 'bad');
  }
});

$('#backfill-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const progress = $('#backfill-progress');
  try {
    let { backfill } = await call('POST', '/v1/admin/dags/backfill', { job: $('#backfill-job').value, from: $('#backfill-from').value, to: $('#backfill-to').value });
    while (backfill.status === 'running') {
      progress.textContent = `${backfill.job_id} ${backfill.done}/${backfill.total} partitions…`;
      await new Promise((resolve) => window.setTimeout(resolve, 1000));
      ({ backfill } = await call('GET', `/v1/admin/dags/backfill/${backfill.backfill_id}`));
    }
    progress.textContent = `${backfill.job_id} ${backfill.from}..${backfill.to}: ${backfill.status} (${backfill.succeeded} ok, ${backfill.failed} failed, ${backfill.skipped} skipped)`;
  } catch (error) {
    progress.textContent = '';
    toast(error.message, 'bad');
  }
});

$('#reconcile-date').addEventListener('change', (event) => {
  reconcileDate = event.target.value;
  connect();
});

$('#reconcile-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const day = await call('POST', '/v1/admin/dags/reconcile', { date: reconcileDate });
    renderReconcile({ date: day.date, summary: day.summary, stores: day.stores });
    toast(day.line);
  } catch (error) {
    toast(error.message, 'bad');
  }
});

reconcileDate ||= today();
$('#reconcile-date').value = reconcileDate;
$('#backfill-from').value = reconcileDate;
$('#backfill-to').value = reconcileDate;
connect();
