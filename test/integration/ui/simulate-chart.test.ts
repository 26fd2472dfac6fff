import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';

const CHROMIUM = '/usr/bin/chromium';

describe('sluice simulate --out: the spike chart', () => {
  it("labels its axes, the one-interval line and each controller's peak, draws each controller in its own colour and dash, and renders to PNG", async () => {
    // Prepare
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-chart-'));
    const svgFile = join(dir, 'spike.svg');
    // Act: the README's command, then the SVG in headless Chromium, to PNG.
    const result = await runCli(['simulate', '--profile', 'spike', '--out', svgFile]);
    const svg = readFileSync(svgFile, 'utf8');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const png = join(dir, 'spike.png');
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.setContent(`<html><body style="margin:0;background:#fff">${svg}</body></html>`);
      await page.locator('svg').first().screenshot({ path: png });
    } finally {
      await browser.close();
    }
    if (process.env.SLUICE_DOCS_IMG === '1') {
      mkdirSync('docs/img', { recursive: true });
      copyFileSync(png, 'docs/img/spike.png');
      copyFileSync(svgFile, 'docs/img/spike.svg');
    }
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const maxDelay = new Map(
      result.stdout
        .split('\n')
        .filter((l) => /^(none|static|spark-pid|sluice) /.test(l))
        .map((l) => [l.split(/\s+/)[0]!, Number(l.split(/\s+/)[1])]),
    );
    expect([...maxDelay.keys()].sort()).toEqual(['none', 'sluice', 'spark-pid', 'static']);
    // The headline figures are written on the chart, the same as the table's.
    for (const [controller, ms] of maxDelay) expect(svg).toContain(`${controller}: max ${ms.toLocaleString('en-US')} ms`);
    expect(svg).toContain('one batch interval: 1,000 ms');
    // Log axes are labelled at every power of ten, not only at their ends.
    for (const tick of ['10', '100', '1,000', '10,000', '100,000']) expect(svg).toContain(`>${tick}</text>`);
    // Four controllers, four colours and four dash patterns.
    const styles = new Map<string, string>();
    for (const [tag] of svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*>/g)) {
      const controller = /controller: ([\w-]+)/.exec(tag)?.[1];
      if (controller !== undefined) styles.set(controller, `${/ stroke="([^"]+)"/.exec(tag)?.[1]} ${/stroke-dasharray="([^"]+)"/.exec(tag)?.[1] ?? 'solid'}`);
    }
    expect([...styles.keys()].sort()).toEqual(['arrivals', 'none', 'sluice', 'spark-pid', 'static']);
    expect(new Set(styles.values()).size).toBe(5);
    expect(new Set([...styles.values()].map((v) => v.split(' ')[0])).size).toBe(5);
    expect(new Set([...styles.values()].map((v) => v.split(' ').slice(1).join(' '))).size).toBe(5);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  });
});
