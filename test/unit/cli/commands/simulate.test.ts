import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerSimulate } from '../../../../lib/cli/commands/simulate';
import { ConfigError } from '../../../../lib/core/errors';

describe('registerSimulate', () => {
  let dir: string;
  let printed: string[];
  const sluice = (): Command => {
    const program = new Command('sluice').exitOverride();
    registerSimulate(program, (text) => printed.push(text));
    return program;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-simulate-'));
    printed = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('simulate', () => {
    it('prints the summary table and writes the chart', async () => {
      // Prepare
      const out = join(dir, 'charts', 'spike.svg');

      // Act
      await sluice().parseAsync(['simulate', '--profile', 'spike', '--duration', '120', '--shards', '2', '--out', out], { from: 'user' });

      // Assess
      const table = printed[0]!;
      for (const name of ['none', 'static', 'spark-pid', 'sluice']) expect(table).toMatch(new RegExp(`^${name}\\s`, 'm'));
      expect(printed[1]).toBe(`wrote ${out}`);
      expect((await readFile(out, 'utf8')).startsWith('<svg')).toBe(true);
    });

    it('prints JSON summaries for the chosen controllers in lambda mode', async () => {
      // Act
      await sluice().parseAsync(['simulate', '--mode', 'lambda', '--duration', '60', '--controllers', 'spark-pid,sluice', '--json'], { from: 'user' });

      // Assess
      const summaries = JSON.parse(printed[0]!) as Array<{ controller: string; droppedRecords: number }>;
      expect(summaries.map((s) => s.controller)).toEqual(['spark-pid', 'sluice']);
      expect(summaries.every((s) => s.droppedRecords === 0)).toBe(true);
    });

    it.each([
      ['an unknown controller', ['--controllers', 'spark-pid,magic'], /^simulate\.controllers: .*"magic"/],
      ['a non-numeric shard count', ['--shards', 'many'], /^sim\.shards: .*\(given NaN\)/],
    ])('rejects %s', async (_name, args, message) => {
      // Act
      const error = await sluice()
        .parseAsync(['simulate', ...args], { from: 'user' })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
    });
  });
});
