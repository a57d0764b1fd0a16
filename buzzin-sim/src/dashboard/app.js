// The Buzz-In simulator's dashboard: polls /_simulator/state and plays the /_simulator/ hooks.
// Every value from the server is rendered as text (text nodes, never HTML).
'use strict';

const $ = (id) => document.getElementById(id);
const drawn = {}; // section name -> the JSON it was last drawn from
const openDeliveries = new Set();
let key = sessionStorage.getItem('buzzin-simulator-key') || '';
let state = null;
let noticeTimer = null;

// An element with attributes (`testid` sets data-testid, `on…` a listener) and children
// (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'testid') node.dataset.testid = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name === 'cls' ? 'class' : name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// A value shown as a copyable id.
function id(text) {
  const code = el('code', { cls: 'id', title: 'Click to copy' }, String(text ?? ''));
  code.addEventListener('click', () => copy(code));
  return code;
}

function copy(node) {
  const text = node.textContent;
  const select = () => {
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  };
  select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).then(() => notice(`Copied ${text}`), select);
  }
}

function badge(text, kind) {
  return el('span', { cls: `badge ${kind || String(text).toLowerCase()}` }, text);
}

function notice(text, failed) {
  const box = $('notice');
  box.textContent = text;
  box.className = failed ? 'banner failed' : 'banner';
  box.hidden = false;
  clearTimeout(noticeTimer);
  if (!failed) noticeTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// Calls the simulator; answers {ok, status, data} (data: the parsed JSON, or the text).
// (A string body is sent as it is: an imported state file.)
async function call(method, path, body) {
  const headers = { 'x-buzzin-dashboard': '1' };
  if (key) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, cache: 'no-store',
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await response.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON: keep the text */ }
  if (response.status === 401) $('key-form').hidden = false;
  return { ok: response.ok, status: response.status, data };
}

function message(answer) {
  const data = answer.data;
  return (data && data.message) || (typeof data === 'string' && data) || `HTTP ${answer.status}`;
}

// Runs a hook, says how it went, and redraws.
async function act(label, method, path, body) {
  try {
    const answer = await call(method, path, body);
    if (answer.ok) notice(`${label}: done`);
    else notice(`${label}: ${answer.status} ${message(answer)}`, true);
    await refresh();
    return answer;
  } catch (error) {
    notice(`${label}: the simulator did not answer (${error.message})`, true);
    return null;
  }
}

async function refresh() {
  let answer;
  try {
    answer = await call('GET', 'state');
  } catch (_) {
    connection('disconnected', 'failed');
    return;
  }
  if (!answer.ok) {
    connection(answer.status === 401 ? 'API key needed' : `error ${answer.status}`, 'failed');
    return;
  }
  connection('live', 'approved');
  state = answer.data;
  draw(state);
}

function connection(text, kind) {
  const node = $('connection');
  node.textContent = text;
  node.className = `badge ${kind}`;
}

function poll() {
  refresh().finally(() => setTimeout(poll, 1000));
}

// Redraws a section only when its data changed (so a selection or an open panel survives).
function section(name, data, paint) {
  const json = JSON.stringify(data);
  if (drawn[name] === json) return;
  drawn[name] = json;
  paint(data);
}

function draw(s) {
  $('now').textContent = s.now;
  section('community', [s.communityId, s.properties, s.nfcTags, s.residents], drawCommunity);
  section('contractors', [s.contractors, s.contractorsTotal], drawContractors);
  section('permits', [s.permits, s.permitsTotal, s.contractors], drawPermits);
  section('deliveries', s.deliveries, drawDeliveries);
  section('events', [s.events, s.eventsTotal], drawEvents);
  section('faults', s.faults || [], drawFaults);
}

function drawFaults(faults) {
  $('faults').replaceChildren(...faults.map((f) => {
    const target = f.operation || f.path;
    const fault = f.reset ? 'reset the connection'
      : (f.delayMs !== undefined ? `delay ${f.delayMs} ms` : `answer ${f.status}`);
    const times = f.remaining === null || f.remaining === undefined ? 'every time' : `${f.remaining} more`;
    const chance = f.probability < 1 ? `, probability ${f.probability}` : '';
    return el('li', { testid: `fault-${f.id}` },
      `${target}: ${fault}, ${times}${chance} (fired ${f.fired}) `,
      el('button', {
        testid: `fault-remove-${f.id}`,
        onclick: () => act('Remove fault rule', 'DELETE', `faults/${encodeURIComponent(f.id)}`),
      }, 'Remove'));
  }));
}

function addFault(event) {
  event.preventDefault();
  const target = $('fault-target').value.trim();
  const rule = target.startsWith('/') ? { path: target } : { operation: target };
  const action = $('fault-action').value;
  if (action === 'reset') rule.reset = true;
  else rule[action] = Number($('fault-value').value);
  if ($('fault-times').value) rule.times = Number($('fault-times').value);
  if ($('fault-probability').value) rule.probability = Number($('fault-probability').value);
  act('Add fault rule', 'POST', 'faults', rule);
}

// Export: the whole state as a file download (see GET /_simulator/snapshot).
async function exportState() {
  const answer = await call('GET', 'snapshot');
  if (!answer.ok) {
    notice(`Export: ${answer.status} ${message(answer)}`, true);
    return;
  }
  const text = JSON.stringify(answer.data);
  const link = el('a', {
    href: URL.createObjectURL(new Blob([text], { type: 'application/json' })),
    download: 'buzzin-sim-state.json',
  });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  $('state-result').textContent = `Exported ${answer.data.contractors.length} contractors, `
    + `${answer.data.permits.length} permits (${text.length} bytes)`;
}

// Import: replaces the whole state with a file Export wrote.
async function importState() {
  const file = $('state-file').files[0];
  if (!file) {
    notice('Import: choose a state file first', true);
    return;
  }
  const answer = await act('Import', 'PUT', 'snapshot', await file.text());
  if (answer && answer.ok) {
    $('state-result').textContent = `Imported ${answer.data.contractors} contractors, ${answer.data.permits} permits`;
  } else if (answer) {
    $('state-result').textContent = `Import refused: ${message(answer)}`;
  }
}

const property = (pid) => (state.properties || []).find((p) => p.id === pid);
const unit = (uid) => (state.properties || []).flatMap((p) => p.units).find((u) => u.id === uid);
const externalOf = (record, fallback) => (record ? record.externalId : fallback);

function drawCommunity() {
  $('community-id').textContent = state.communityId;
  $('properties').replaceChildren(...state.properties.map((p) => el('div', { cls: 'property', testid: `property-${p.id}` },
    el('div', null, el('strong', null, p.externalId), ' ', p.name, ' ', id(p.id)),
    el('ul', { cls: 'plain units' }, p.units.map((u) => el('li', { testid: `unit-${u.id}` }, u.externalId, ' ', id(u.id)))))));
  const options = (select, items, label, keep) => {
    const chosen = select.value;
    select.replaceChildren(...keep, ...items.map((item) => el('option', { value: item.value }, label(item))));
    select.value = chosen || select.options[0]?.value || '';
  };
  options($('scan-property'), state.properties.map((p) => ({ value: p.id, p })),
    (o) => `at ${o.p.externalId}`, [el('option', { value: '' }, 'at its own property')]);
  options($('nfc-tag'), state.nfcTags.map((t) => ({ value: t.tag, t })),
    (o) => `${externalOf(property(o.t.propertyId), o.t.propertyId)} ${o.t.direction} tag`, []);
  options($('nfc-resident'), state.residents.map((r) => ({ value: r.resident, r })),
    (o) => `${o.r.email} (${externalOf(unit(o.r.flatId), o.r.flatId)})`, []);
}

function count(node, shown, total) {
  node.textContent = total > shown ? `newest ${shown} of ${total}` : String(total);
}

function drawContractors([contractors, total]) {
  count($('contractors-count'), contractors.length, total);
  $('contractors').replaceChildren(...contractors.slice().reverse().map((c) => {
    const salesforce = c.integrations?.damac?.salesforceId;
    return el('tr', { testid: `contractor-${c._id}` },
      el('td', null, el('strong', null, c.company?.companyName || ''), el('br'), c.name || ''),
      el('td', null, c.email || '', el('br'), c.phone || ''),
      el('td', null, salesforce ? id(salesforce) : ''),
      el('td', null, id(c._id)),
      el('td', { testid: `contractor-state-${c._id}` }, badge(c.state)),
      el('td', null, el('button', {
        testid: `approve-contractor-${c._id}`, disabled: c.state !== 'pending',
        onclick: () => act('Approve contractor', 'POST', `contractors/${encodeURIComponent(c._id)}/approve`),
      }, 'Approve')));
  }));
}

function drawPermits([permits, total, contractors]) {
  count($('permits-count'), permits.length, total);
  const contractorName = (cid) => contractors.find((c) => c._id === cid)?.company?.companyName || cid;
  $('permits').replaceChildren(...permits.slice().reverse().map((p) => {
    const status = p.statusName || String(p.status);
    const qr = p.qrImageBase64
      ? [el('img', {
        src: `data:image/png;base64,${p.qrImageBase64}`, alt: 'QR image', cls: 'qr', testid: `permit-qr-${p._id}`,
        title: 'The simulator\'s QR image is a 1×1 placeholder, not a scannable code: scan the access code',
      }), el('span', { cls: 'qr-note' }, 'placeholder')]
      : '—';
    return el('tr', { testid: `permit-${p._id}` },
      el('td', null, el('strong', null, p.passNumber || ''), el('br'), id(p._id)),
      el('td', null, contractorName(p.communityContractorId)),
      el('td', null, externalOf(property(p.propertyId), p.propertyId), el('br'), externalOf(unit(p.flatId), p.flatId)),
      el('td', { cls: 'when', title: `${p.validFrom} → ${p.validTill}` }, when(p.validFrom), el('br'), `→ ${when(p.validTill)}`),
      el('td', { testid: `permit-status-${p._id}` }, badge(status)),
      el('td', { testid: `permit-code-${p._id}` }, p.accessCode ? id(p.accessCode) : '—'),
      el('td', null, qr),
      el('td', { cls: 'actions' },
        el('button', {
          testid: `details-permit-${p._id}`, disabled: status !== 'DRAFT',
          title: 'What a DRAFT needs before your code submits it', onclick: () => openDetails(p._id),
        }, 'Details'),
        el('button', {
          testid: `approve-permit-${p._id}`, disabled: status !== 'PENDING',
          title: 'Approve a submitted permit: it gets its pass',
          onclick: () => act('Approve permit', 'POST', `permits/${encodeURIComponent(p._id)}/approve`),
        }, 'Approve'),
        el('button', {
          testid: `to-gate-${p._id}`, disabled: !p.accessCode, title: 'Put its access code in the gate',
          onclick: () => { $('scan-input').value = p.accessCode; $('scan-input').focus(); },
        }, 'To gate')));
  }));
}

// A timestamp for reading: `2026-07-01 06:00Z` (the exact value is in the title).
function when(timestamp) {
  return String(timestamp || '').replace('T', ' ').replace(/(:00)?\.000Z$/, 'Z');
}

function outcome(attempt) {
  return attempt.status !== undefined ? String(attempt.status) : 'failed';
}

function drawDeliveries(deliveries) {
  $('deliveries').replaceChildren(...deliveries.slice().reverse().map((d) => {
    const lastAttempt = d.attempts[d.attempts.length - 1];
    const panel = el('details', { open: openDeliveries.has(d.deliveryId) },
      el('summary', null, `Headers and body (attempt ${lastAttempt.attempt})`),
      el('table', { cls: 'headers' }, lastAttempt.headers.map(([name, value]) => el('tr', null, el('th', null, name), el('td', null, value)))),
      lastAttempt.error ? el('p', { cls: 'failed' }, lastAttempt.error) : '',
      el('pre', { testid: `delivery-body-${d.deliveryId}` }, pretty(lastAttempt.body)));
    panel.addEventListener('toggle', () => {
      if (panel.open) openDeliveries.add(d.deliveryId); else openDeliveries.delete(d.deliveryId);
    });
    return el('div', { cls: 'delivery', testid: `delivery-${d.deliveryId}` },
      el('div', { cls: 'row' },
        el('strong', { testid: `delivery-event-${d.deliveryId}` }, d.event),
        el('span', { cls: 'url' }, '→ ', d.url),
        el('span', { testid: `delivery-attempts-${d.deliveryId}` }, d.attempts.map((a) => badge(
          `#${a.attempt} ${outcome(a)}`, a.succeeded ? 'approved' : 'failed'))),
        el('span', { cls: 'grow' }),
        id(d.deliveryId),
        el('button', {
          testid: `redeliver-${d.deliveryId}`,
          onclick: () => act('Redeliver', 'POST', `deliveries/${encodeURIComponent(d.deliveryId)}/redeliver`),
        }, 'Redeliver')),
      panel);
  }));
  if (!deliveries.length) $('deliveries').append(el('p', { cls: 'muted' }, 'No deliveries yet: start the simulator with a --webhook destination.'));
}

function pretty(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch (_) { return body; }
}

function summary(event) {
  const data = event.data || {};
  return data.passNumber || data.permitId || data.name || data._id || '';
}

function drawEvents([events, total]) {
  count($('events-count'), Math.min(events.length, 50), total);
  $('events').replaceChildren(...events.slice(-50).reverse().map((e) => el('li', { testid: `event-${e.id}` },
    el('span', { cls: 'when', title: e.createdAt }, when(e.createdAt)), ' ', el('strong', null, e.event), ' ', summary(e))));
}

// The gate: scan a code, then show the events the scan fired.
async function scan(event) {
  event.preventDefault();
  const before = new Set((state?.events || []).map((e) => e.id));
  const body = { accessCode: $('scan-input').value.trim(), direction: $('scan-direction').value };
  if ($('scan-property').value) body.propertyId = $('scan-property').value;
  const answer = await act('Scan', 'POST', 'scan', body);
  if (!answer) return;
  const result = $('scan-result');
  if (answer.ok) {
    const d = answer.data;
    result.replaceChildren(badge('opened', 'approved'), ` permit ${d.permitId}, ${d.direction}${d.first ? ', first scan' : ''}`);
  } else {
    const reason = answer.data?.errors?.reason;
    result.replaceChildren(badge('refused', 'failed'), ` ${message(answer)}${reason ? ` (${reason})` : ''}`);
  }
  const fired = (state?.events || []).filter((e) => !before.has(e.id));
  $('scan-events').replaceChildren(...fired.map((e) => el('li', { testid: `scan-event-${e.event}` }, e.event)));
}

async function tap(event) {
  event.preventDefault();
  const answer = await act('NFC tap', 'POST', 'nfc/tap', {
    tag: Number($('nfc-tag').value), resident: Number($('nfc-resident').value),
  });
  if (!answer || !answer.ok) return;
  const gate = answer.data;
  const said = gate.answer?.responseCode || gate.answer?.message || '';
  const duration = gate.answer?.leaveEvent ? `, inside for ${gate.answer.leaveEvent.duration} ms` : '';
  $('nfc-result').replaceChildren(badge(String(gate.status), gate.status === 200 ? 'approved' : 'failed'), ` ${said}${duration}`);
}

let detailsOf = null;
function openDetails(permitId) {
  detailsOf = permitId;
  $('details-permit').textContent = permitId;
  $('details-dialog').showModal();
}

async function saveDetails(event) {
  event.preventDefault();
  const value = (name) => $(name).value.trim();
  const body = {
    timeIn: value('details-time-in'),
    timeOut: value('details-time-out'),
    representativeName: value('details-rep-name'),
    representativeContact: value('details-rep-contact'),
    employees: value('details-employees').split(',').map((n) => n.trim()).filter(Boolean),
  };
  $('details-dialog').close();
  await act('Permit details', 'POST', `permits/${encodeURIComponent(detailsOf)}/details`, body);
}

function advance(event) {
  event.preventDefault();
  const ms = Number($('clock-amount').value) * Number($('clock-unit').value);
  act('Advance clock', 'POST', 'clock/advance', { ms });
}

function useKey(event) {
  event.preventDefault();
  key = $('key-input').value;
  sessionStorage.setItem('buzzin-simulator-key', key);
  $('key-form').hidden = true;
  refresh();
}

$('clock-form').addEventListener('submit', advance);
$('scan-form').addEventListener('submit', scan);
$('nfc-form').addEventListener('submit', tap);
$('details-form').addEventListener('submit', saveDetails);
$('details-cancel').addEventListener('click', () => $('details-dialog').close());
$('key-form').addEventListener('submit', useKey);
$('fault-form').addEventListener('submit', addFault);
$('state-export').addEventListener('click', exportState);
$('state-import').addEventListener('click', importState);
poll();
