import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { SimulationResult } from '../../core/sim/simulator';

/** Most points drawn per series; longer runs are thinned evenly so the SVG stays small. */
const MAX_POINTS = 600;

interface Row {
  readonly t: number;
  readonly series: string;
  readonly value: number;
}

/**
 * Draws a simulation as an SVG string: rate limit (with arrivals and the sustainable rate),
 * backlog and scheduling delay over time, one coloured line per controller. Built from a
 * vega-lite spec rendered headless by vega, so axes, legends and scales are the library's.
 */
export async function renderSimulationSvg(result: SimulationResult, title = 'sluice simulate'): Promise<string> {
  const shards = result.config.shards;
  const first = result.runs[0];
  const every = Math.max(1, Math.ceil((first?.series.length ?? 0) / MAX_POINTS));
  const rates: Row[] = [];
  const backlog: Row[] = [];
  const delay: Row[] = [];
  first?.series.forEach((p, i) => {
    if (i % every === 0) rates.push({ t: p.tSeconds, series: 'arrivals', value: p.arrivals });
  });
  for (const run of result.runs) {
    run.series.forEach((p, i) => {
      if (i % every !== 0) return;
      if (p.rate !== null) rates.push({ t: p.tSeconds, series: run.controller, value: p.rate });
      backlog.push({ t: p.tSeconds, series: run.controller, value: p.backlog });
      delay.push({ t: p.tSeconds, series: run.controller, value: p.schedulingDelayMs });
    });
  }
  const sustainable = result.sustainableRatePerShard * shards;
  const duration = result.config.durationSeconds;
  const intervalMs = result.config.batchIntervalMs;
  const limits = rates.filter((r) => r.series !== 'arrivals').map((r) => r.value);
  const arrivalsPeak = Math.max(0, ...rates.filter((r) => r.series === 'arrivals').map((r) => r.value));
  const rateTop = Math.max(sustainable, ...limits) * 1.5;
  // One legend for the three panels: every series any of them draws, in a fixed order.
  const names = new Set([...rates, ...backlog, ...delay].map((r) => r.series));
  const domain = [...SERIES.filter((n) => names.has(n)), ...[...names].filter((n) => !SERIES.includes(n))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: `${result.config.profile.kind} profile, ${result.config.mode} mode, ${shards} shard(s); each controller has its own colour and dash; labels: each controller's peak`,
    },
    config: { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 } },
    vconcat: [
      panel('Rate limit and arrivals (records/s, linear)', rates, domain, duration, {
        scale: 'linear',
        rule: { value: sustainable, label: `sustainable rate ${formatCount(sustainable)}/s` },
        // The controllers' rates fill the panel; the spike's arrivals go off the top, and say so.
        yMax: rateTop,
        offScale: arrivalsPeak > rateTop ? `arrivals peak at ${formatCount(arrivalsPeak)}/s, above this scale` : undefined,
      }),
      panel('Backlog in the source (records, log scale)', backlog, domain, duration, { scale: 'symlog', peakUnit: 'records' }),
      panel('Scheduling delay (ms, log scale)', delay, domain, duration, {
        scale: 'symlog',
        peakUnit: 'ms',
        rule: { value: intervalMs, label: `one batch interval: ${formatCount(intervalMs)} ms` },
      }),
    ],
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The series' order, so colours and dashes stay put whatever the controllers run. */
const WIDTH = 720;
const SERIES = ['arrivals', 'none', 'static', 'spark-pid', 'sluice'];
const COLOURS = ['#9e9e9e', '#d62728', '#ff7f0e', '#1f77b4', '#2ca02c'];
const DASHES = [
  [2, 2],
  [1, 0],
  [8, 4],
  [2, 3],
  [12, 3, 3, 3],
];

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 0 and the powers of ten from 10 to the first at or above `max`: the labelled ticks of a log-like axis. */
function logTicks(max: number): number[] {
  const ticks = [0, 10];
  while (ticks.at(-1)! < max) ticks.push(ticks.at(-1)! * 10);
  return ticks;
}

interface PanelOptions {
  readonly scale: 'linear' | 'symlog';
  /** A labelled dashed line: the sustainable rate, one batch interval. */
  readonly rule?: { readonly value: number; readonly label: string };
  /** Each series' peak is labelled with its value in this unit. */
  readonly peakUnit?: string;
  /** The top of a linear axis; lines above it are cut at the edge (and said so by `offScale`). */
  readonly yMax?: number;
  readonly offScale?: string;
}

function panel(
  title: string,
  values: Row[],
  domain: readonly string[],
  durationSeconds: number,
  o: PanelOptions,
): NonNullable<Extract<TopLevelSpec, { vconcat: unknown }>['vconcat']>[number] {
  const max = Math.max(1, ...values.map((v) => v.value), o.rule?.value ?? 0);
  const colour = {
    field: 'series',
    type: 'nominal' as const,
    title: 'controller',
    scale: { domain, range: domain.map((d) => COLOURS[SERIES.indexOf(d)] ?? '#8c564b') },
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: null,
    scale:
      o.scale === 'symlog'
        ? { type: 'symlog' as const, domain: [0, logTicks(max).at(-1)!], nice: false }
        : { type: 'linear' as const, nice: true, ...(o.yMax === undefined ? {} : { domain: [0, o.yMax] }) },
    // tickCount above the number of values: vega thins explicit ticks down to it otherwise.
    axis: o.scale === 'symlog' ? { values: logTicks(max), tickCount: 20, format: ',d', labelOverlap: false } : { format: ',d', tickCount: 6 },
  };
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'line' as const, strokeWidth: 2, interpolate: 'step-after' as const, clip: true },
      encoding: {
        x: { field: 't', type: 'quantitative' as const, title: 'time (s)', scale: { domain: [0, durationSeconds], nice: false } },
        y,
        color: colour,
        strokeDash: {
          field: 'series',
          type: 'nominal' as const,
          title: 'controller',
          scale: { domain, range: domain.map((d) => DASHES[SERIES.indexOf(d)] ?? [1, 0]) },
        },
      },
    },
  ];
  if (o.rule !== undefined) {
    layers.push(
      {
        data: { values: [{ y: o.rule.value }] },
        mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#555' },
        encoding: { y: { field: 'y', type: 'quantitative' as const } },
      },
      {
        data: { values: [{ y: o.rule.value, x: durationSeconds, label: o.rule.label }] },
        mark: { type: 'text' as const, align: 'right' as const, baseline: 'bottom' as const, dy: -3, fontSize: 11, color: '#333' },
        encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const }, text: { field: 'label' } },
      },
    );
  }
  if (o.offScale !== undefined) {
    layers.push({
      data: { values: [{ label: o.offScale }] },
      mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, fontSize: 11, color: '#555' },
      encoding: { x: { value: 6 }, y: { value: 4 }, text: { field: 'label' } },
    });
  }
  if (o.peakUnit !== undefined) {
    // The headline figure of each controller: its peak, where it happened.
    const peaks = domain
      .filter((series) => series !== 'arrivals')
      .map((series) =>
        values.filter((v) => v.series === series).reduce<Row | undefined>((best, v) => (best === undefined || v.value > best.value ? v : best), undefined),
      )
      .filter((p): p is Row => p !== undefined)
      .sort((a, b) => b.value - a.value)
      .map((p, i) => ({ ...p, label: `${p.series}: max ${formatCount(p.value)} ${o.peakUnit}${p.value > 0 ? ` at ${formatCount(p.t)} s` : ''}`, row: i }));
    for (const p of peaks) {
      layers.push(
        {
          data: { values: [p] },
          mark: { type: 'point' as const, filled: true, size: 50, opacity: 1 },
          encoding: { x: { field: 't', type: 'quantitative' as const }, y: { field: 'value', type: 'quantitative' as const }, color: colour },
        },
        // Listed right of the panel, highest first, so no label sits on a line or on another label.
        {
          data: { values: [p] },
          mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, fontSize: 12, fontWeight: 'bold' as const },
          encoding: { x: { value: WIDTH + 12 }, y: { value: 30 + 15 * p.row }, text: { field: 'label' }, color: colour },
        },
      );
    }
  }
  return { title, width: WIDTH, height: 190, layer: layers } as NonNullable<Extract<TopLevelSpec, { vconcat: unknown }>['vconcat']>[number];
}
