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
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `${result.config.profile.kind} profile, ${result.config.mode} mode, ${shards} shard(s); dashed: sustainable rate (${Math.round(sustainable)} records/s) and one batch interval` },
    config: { font: 'sans-serif', view: { stroke: null } },
    vconcat: [
      panel('Rate limit and arrivals (records/s)', rates, 'linear', duration, sustainable),
      panel('Backlog in the source (records)', backlog, 'symlog', duration),
      panel('Scheduling delay (ms)', delay, 'symlog', duration, result.config.batchIntervalMs),
    ],
    resolve: { scale: { color: 'shared' } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function panel(title: string, values: Row[], scale: 'linear' | 'symlog', durationSeconds: number, rule?: number): NonNullable<Extract<TopLevelSpec, { vconcat: unknown }>['vconcat']>[number] {
  const line = {
    data: { values },
    mark: { type: 'line' as const, strokeWidth: 1.5, interpolate: 'step-after' as const },
    encoding: {
      x: { field: 't', type: 'quantitative' as const, title: 'time (s)', scale: { domain: [0, durationSeconds], nice: false } },
      y: { field: 'value', type: 'quantitative' as const, title: null, scale: { type: scale }, axis: { tickCount: 5 } },
      color: { field: 'series', type: 'nominal' as const, title: 'controller', scale: { scheme: 'tableau10' } },
    },
  };
  const layers = rule === undefined ? [line] : [line, { data: { values: [{ y: rule }] }, mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'y', type: 'quantitative' as const } } }];
  return { title, width: 720, height: 160, layer: layers };
}
