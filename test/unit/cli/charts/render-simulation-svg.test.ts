import { describe, expect, it } from 'vitest';
import { renderSimulationSvg } from '../../../../lib/cli/charts/render-simulation-svg';
import { formatSimulationTable } from '../../../../lib/cli/charts/format-simulation-table';
import { simulate } from '../../../../lib/core/sim/simulator';

const result = simulate({ durationSeconds: 120, shards: 2 }, [
  { kind: 'none' },
  { kind: 'static', ratePerShard: 1500 },
  { kind: 'spark-pid' },
  { kind: 'sluice' },
]);

describe('renderSimulationSvg', () => {
  it('renders one SVG document with every series and panel named', async () => {
    // Act
    const svg = await renderSimulationSvg(result, 'spike test');

    // Assess
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const name of [
      'none',
      'static',
      'spark-pid',
      'sluice',
      'arrivals',
      'spike test',
      'Scheduling delay (ms, log scale)',
      'Backlog in the source (records, log scale)',
      'Rate limit and arrivals (records/s, linear)',
    ]) {
      expect(svg).toContain(name);
    }
    expect(svg.match(/<path/g)?.length ?? 0).toBeGreaterThan(9);
  });

  it('has balanced tags, so it parses as XML', async () => {
    // Prepare
    const svg = await renderSimulationSvg(result);
    const stack: string[] = [];

    // Act
    for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (closing) expect(stack.pop()).toBe(name);
      else stack.push(name!);
    }

    // Assess
    expect(stack).toEqual([]);
  });
});

describe('formatSimulationTable', () => {
  it('prints one aligned row per controller, with ∞ for an unbounded overshoot', () => {
    // Prepare
    const lambda = simulate({ mode: 'lambda', durationSeconds: 120, shards: 1 }, [{ kind: 'none' }, { kind: 'sluice' }]);

    // Act
    const lines = formatSimulationTable(lambda).split('\n');

    // Assess
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^controller\s+max delay ms\s+recovery batches\s+overshoot %\s+dropped\s+final backlog\s+processed$/);
    expect(lines[2]).toMatch(/^none\s+\d+\s+(\d+|never)\s+∞\s+0\s+\d+\s+\d+$/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
