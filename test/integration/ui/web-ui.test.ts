/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { readShardStatuses } from '../../../lib/runtime/local-esm/shard-status';
import { startCli } from '../../helpers/run-cli';

/** Debian's chromium package (.ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';

/** Resolves with the first stdout line of `child` that matches `pattern` (rejects when it exits first). */
function waitForLine(child: ReturnType<typeof startCli>, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(pattern);
      if (m !== null) resolve(m);
    });
    child.on('close', (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${out}${err}`)));
  });
}

let browser: Browser | undefined;
afterAll(async () => browser?.close());

describe('sluice ui', () => {
  it('serves a page whose charts and batch table render from a running sluice run, matching its checkpoint', async () => {
    // Prepare: a local run of the word count on the generator (its 10x spike starts 3 s in).
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
    const checkpointDir = join(dir, 'checkpoint');
    const run = startCli([
      'run',
      '--pipeline',
      'examples/word-count-per-shard.ts',
      '--source',
      'generator:7',
      '--duration',
      '12',
      '--max-rate',
      '3000',
      '--checkpoint-dir',
      checkpointDir,
    ]);
    const runExit = new Promise<number | null>((resolve) => run.on('close', resolve));
    await waitForLine(run, /^generator-0 +\d+ /m);
    const ui = startCli(['ui', '--checkpoint-dir', checkpointDir, '--port', '0', '--duration', '60']);
    const [, url] = await waitForLine(ui, /sluice ui: (http:\/\/127\.0\.0\.1:\d+\/)/);
    try {
      // Act: the page, in headless Chromium, while the run goes on; then once the run has stopped.
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      await page.goto(url!);
      await page.waitForFunction(() => Number(document.body.dataset.rendered ?? 0) >= 3, undefined, { timeout: 30_000 });
      const whileRunning = await page.locator('#batches tbody tr').count();
      expect(await runExit).toBe(0);
      // The checkpoint as the run left it; the page shows it after its next poll.
      const { checkpoints } = openLocalStores(checkpointDir);
      const [shard] = await readShardStatuses(checkpoints, 'word-count', []);
      await checkpoints.close();
      await page.waitForFunction(
        (batchNo) => document.querySelector('#batches tbody tr td:nth-child(2)')?.getAttribute('data-value') === String(batchNo),
        shard!.batchNo,
        { timeout: 15_000 },
      );
      const screenshot = join(dir, 'sluice-ui.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      if (process.env.SLUICE_DOCS_IMG === '1') {
        mkdirSync('docs/img', { recursive: true });
        copyFileSync(screenshot, 'docs/img/ui.png');
      }
      const newest = await page
        .locator('#batches tbody tr')
        .first()
        .locator('td')
        .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-value') ?? td.textContent));
      const charts = await page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll('.chart')].map((c) => [
            c.id,
            {
              svg: c.querySelectorAll('svg').length,
              lines: c.querySelectorAll('.mark-line path').length,
              points: c.querySelectorAll('.mark-symbol path').length,
              bars: c.querySelectorAll('.mark-rect path').length,
            },
          ]),
        ),
      );
      const cards = await page.evaluate(() =>
        Object.fromEntries([...document.querySelectorAll('.card')].map((c) => [(c as HTMLElement).dataset.key, c.querySelector('b')!.textContent])),
      );

      // Assess
      expect(problems).toEqual([]);
      expect(whileRunning).toBeGreaterThanOrEqual(3);
      // The newest row is the checkpoint's last batch, number for number.
      expect(newest[0]).toBe('generator-0');
      expect(Number(newest[1])).toBe(shard!.batchNo);
      expect(Number(newest[3])).toBe(shard!.lastBatch!.records);
      expect(Number(newest[6])).toBe(shard!.lastBatch!.schedulingDelayMs);
      expect(Number(newest[7])).toBe(shard!.lastBatch!.processingMs);
      expect(cards.committed).toBe(shard!.totals!.records.toLocaleString('en-US'));
      expect(cards.batches).toBe(shard!.batchNo.toLocaleString('en-US'));
      // Every timeline drew a line through its batches' points; every histogram drew bars.
      for (const id of ['chart-input', 'chart-sched', 'chart-proc', 'chart-backlog']) {
        expect(charts[id]!.svg, id).toBe(1);
        expect(charts[id]!.lines, id).toBeGreaterThanOrEqual(1);
        expect(charts[id]!.points, id).toBeGreaterThanOrEqual(3);
      }
      // The input rate has a second, dashed line: the rate limit in force (--max-rate).
      expect(charts['chart-input']!.lines).toBeGreaterThanOrEqual(2);
      expect(newest[5]).toBe('3,000/s');
      for (const id of ['hist-total', 'hist-sched', 'hist-proc', 'chart-records']) expect(charts[id]!.bars, id).toBeGreaterThanOrEqual(1);
    } finally {
      run.kill('SIGKILL');
      ui.kill('SIGTERM');
    }
  });

  it('run --ui serves the same page beside the run, fed every batch', async () => {
    // Prepare: a file of 6,000 lines at 1,000 records/s: about six 1 s batches.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-run-ui-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, Array.from({ length: 6_000 }, (_, i) => `w${i % 50} x${i % 7}`).join('\n') + '\n');
    // Act
    const run = startCli([
      'run',
      '--pipeline',
      'examples/word-count-per-shard.ts',
      '--source',
      `file:${file}`,
      '--max-rate',
      '1000',
      '--batch-interval',
      '500',
      '--checkpoint-dir',
      join(dir, 'checkpoint'),
      '--ui',
      '0',
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      run.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = err.match(/sluice: web UI at (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m !== null) resolve(m[1]!);
      });
      run.on('close', () => reject(new Error(`run exited first: ${err}`)));
    });
    const page = await (await fetch(url)).text();
    let snapshot: { batches: Array<{ batchNo: number; missedBefore: number }> } = { batches: [] };
    for (let i = 0; i < 100 && snapshot.batches.length < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as typeof snapshot;
    }
    run.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
    // Assess: the page, and every batch from the first, none missed.
    expect(page).toContain('<script src="/app.js"></script>');
    expect(snapshot.batches.length).toBeGreaterThanOrEqual(4);
    expect(snapshot.batches.map((b) => b.batchNo)).toEqual(snapshot.batches.map((_, i) => i + 1));
    expect(snapshot.batches.every((b) => b.missedBefore === 0)).toBe(true);
    expect(code).toBe(0);
  });
});
