// The page of `sluice ui`: polls /api/snapshot every second and draws it with vega-lite (served by
// the same server from the installed package). Plain script, no build step: docs/decisions/0030.
'use strict';

const POLL_MS = 1000;
const views = {};
let snapshot;

// Numbers as `sluice status` prints them: thousands separators, one decimal at most, ms then s.
const count = (n) => (n == null || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 1 }));
const duration = (ms) => {
  if (ms == null || !Number.isFinite(ms)) return '-';
  if (Math.abs(ms) < 1000) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  if (Math.abs(ms) < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
};
const rate = (n) => (n == null || !Number.isFinite(n) ? '-' : `${count(n)}/s`);
const ago = (atMs, nowMs, never) => (atMs == null ? never : `${duration(Math.max(0, nowMs - atMs))} ago`);

/** A timeline: one line per shard over batch time; `extra` layers are drawn on top. */
function timeline(title, field, unit, extra = []) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 13, offset: 4 },
    width: 520,
    height: 140,
    padding: { left: 6, top: 4, right: 8, bottom: 4 },
    // Re-lay out after every data update: axis labels grow with the data.
    autosize: { type: 'pad', resize: true },
    data: { name: 'rows' },
    encoding: {
      x: { field: 't', type: 'temporal', title: 'batch time', axis: { format: '%H:%M:%S', labelOverlap: 'greedy', tickCount: 6 } },
      color: { field: 'shard', type: 'nominal', legend: { orient: 'right', title: null } },
      strokeDash: { field: 'shard', type: 'nominal', legend: null },
    },
    layer: [
      {
        mark: { type: 'line', point: { size: 18 } },
        encoding: {
          y: { field, type: 'quantitative', title: unit, axis: { format: '~s' } },
          tooltip: [{ field: 'shard' }, { field: 'batch' }, { field, title, format: ',.0f' }],
        },
      },
      ...extra,
    ],
  };
}

/** A histogram of `field` over the batches shown. */
function histogram(title, field, unit) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 13, offset: 4 },
    width: 250,
    height: 140,
    padding: { left: 6, top: 4, right: 8, bottom: 4 },
    // Re-lay out after every data update: axis labels grow with the data.
    autosize: { type: 'pad', resize: true },
    data: { name: 'rows' },
    mark: { type: 'bar', color: '#1f6feb' },
    encoding: {
      x: { field, bin: { maxbins: 20 }, type: 'quantitative', title: unit },
      y: { aggregate: 'count', type: 'quantitative', title: 'batches' },
    },
  };
}

const SPECS = {
  'chart-input': timeline('Input rate (records/s) and the rate limit in force', 'inputRate', 'records/s', [
    {
      mark: { type: 'line', strokeDash: [6, 4], strokeWidth: 1.5, color: '#c62828' },
      encoding: { y: { field: 'rateLimit', type: 'quantitative' }, color: { value: '#c62828' }, strokeDash: { value: [6, 4] } },
    },
  ]),
  'chart-sched': timeline('Scheduling delay: how long a batch waited for its turn', 'schedulingDelayMs', 'ms'),
  'chart-proc': timeline('Processing time', 'processingMs', 'ms'),
  'chart-backlog': timeline('Backlog: how far behind the tip of its shard the batch was', 'millisBehind', 'ms behind'),
  'hist-total': histogram('Total delay (scheduling + processing)', 'totalDelayMs', 'ms'),
  'hist-sched': histogram('Scheduling delay', 'schedulingDelayMs', 'ms'),
  'hist-proc': histogram('Processing time', 'processingMs', 'ms'),
  'chart-records': histogram('Records per batch', 'records', 'records'),
};

async function createViews() {
  for (const [id, spec] of Object.entries(SPECS)) {
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'svg', container: `#${id}`, hover: true });
    views[id] = view;
    await view.runAsync();
  }
}

/** The batches of the selected shard (or all), as chart rows. */
function rows(s) {
  const shard = document.getElementById('shard').value;
  return s.batches
    .filter((b) => shard === '' || b.shardId === shard)
    .map((b) => ({ ...b, t: b.batchTimeMs, shard: b.shardId.replace(/^shardId-0*(?=\d)/, 'shard '), batch: b.batchNo }));
}

function cell(text, attrs = {}) {
  const td = document.createElement('td');
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs)) td.setAttribute(k, String(v));
  return td;
}

function fillTable(id, items, toCells) {
  const body = document.querySelector(`#${id} tbody`);
  const trs = items.map((item) => {
    const tr = document.createElement('tr');
    for (const td of toCells(item, tr)) tr.append(td);
    return tr;
  });
  body.replaceChildren(...trs);
}

function render(s) {
  document.getElementById('app').textContent = s.app;
  document.getElementById('where').textContent = s.where;
  const select = document.getElementById('shard');
  for (const shard of s.shards) {
    if (![...select.options].some((o) => o.value === shard.shardId)) select.add(new Option(shard.shardId, shard.shardId));
  }
  const selected = select.value;
  const shards = s.shards.filter((x) => selected === '' || x.shardId === selected);
  const taken = shards.reduce((n, x) => n + (x.totals?.records ?? 0), 0);
  const quarantined = shards.reduce((n, x) => n + (x.totals?.quarantined ?? 0) + (x.totals?.quarantinedElements ?? 0), 0);
  const batches = shards.reduce((n, x) => n + x.batchNo, 0);
  const recent = rows(s);
  const last = recent.at(-1);
  const cards = [
    ['records committed', count(taken - shards.reduce((n, x) => n + (x.totals?.quarantined ?? 0), 0)), 'committed'],
    ['quarantined', count(quarantined), 'quarantined', quarantined > 0],
    ['batches', count(batches), 'batches'],
    ['shards', count(shards.length), 'shards'],
    ['last input rate', rate(last?.inputRate), 'input-rate'],
    ['last scheduling delay', duration(last?.schedulingDelayMs), 'scheduling-delay', (last?.schedulingDelayMs ?? 0) > 1000],
    ['last processing', duration(last?.processingMs), 'processing'],
  ];
  document.getElementById('summary').replaceChildren(
    ...cards.map(([label, value, key, bad]) => {
      const div = document.createElement('div');
      div.className = `card${bad ? ' bad' : ''}`;
      div.dataset.key = key;
      div.innerHTML = '<b></b><span></span>';
      div.querySelector('b').textContent = value;
      div.querySelector('span').textContent = label;
      return div;
    }),
  );
  for (const view of Object.values(views)) view.data('rows', recent);
  Promise.all(Object.values(views).map((v) => v.runAsync())).then(() => (document.body.dataset.rendered = String(recent.length)));

  fillTable('batches', recent.slice(-50).reverse(), (b) => [
    cell(b.shardId),
    cell(count(b.batchNo), { 'data-value': b.batchNo }),
    cell(new Date(b.batchTimeMs).toISOString().slice(11, 23)),
    cell(count(b.records), { 'data-value': b.records }),
    cell(rate(b.inputRate)),
    cell(b.rateLimit == null ? 'none' : rate(b.rateLimit)),
    cell(duration(b.schedulingDelayMs), { 'data-value': b.schedulingDelayMs }),
    cell(duration(b.processingMs), { 'data-value': b.processingMs }),
    cell(duration(b.totalDelayMs)),
    cell(b.replayed ? 'yes' : ''),
    cell(b.quarantined === 0 ? '' : count(b.quarantined), { class: b.quarantined > 0 ? 'bad' : '' }),
  ]);
  fillTable('controller', shards, (x) => [
    cell(x.shardId),
    cell(x.rateLimit == null ? 'none' : rate(x.rateLimit)),
    cell(rate(x.controller?.terms?.processingRate)),
    cell(ago(x.controller?.rateUpdatedAtMs, s.nowMs, '-')),
    cell(ago(x.controller?.heartbeatAtMs, s.nowMs, 'not running')),
  ]);
  document.getElementById('quarantine-count').textContent =
    `(${count(s.quarantineTotal)}${s.quarantineTotal > s.quarantine.length ? `, newest ${s.quarantine.length} shown` : ''})`;
  fillTable(
    'quarantine',
    s.quarantine.filter((q) => selected === '' || q.shardId === selected),
    (q) => [cell(q.shardId), cell(count(q.batchNo)), cell(q.seq), cell(q.stage), cell(q.reason)],
  );
  document.getElementById('updated').textContent = `updated ${new Date(s.nowMs).toISOString().slice(11, 19)} UTC`;
}

async function poll() {
  try {
    const res = await fetch('/api/snapshot', { cache: 'no-store' });
    snapshot = await res.json();
    render(snapshot);
  } catch (error) {
    document.getElementById('updated').textContent = `cannot reach sluice ui (${error.message}); retrying`;
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById('shard').addEventListener('change', () => snapshot && render(snapshot));
createViews().then(poll);
