import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../lib/cli/main';
import { runCli } from '../../helpers/run-cli';

describe('sluice --help', () => {
  it('lists every command with the description and options its own module declares', async () => {
    // Prepare: every command declared in full, as when it runs.
    const full = new Command('sluice');
    for (const entry of Object.values(COMMANDS)) (await entry.load())(full);
    const help = new Help();
    // Act
    const declared = full.commands.map((cmd) => ({ name: cmd.name(), description: cmd.description(), term: help.subcommandTerm(cmd) }));
    const listed = Object.entries(COMMANDS).map(([name, entry]) => ({
      name,
      description: entry.description,
      term: [name, entry.term].filter((p) => p !== '').join(' '),
    }));
    // Assess
    expect(listed).toEqual(declared);
  });

  it('lists the commands from the built CLI without loading any of them', async () => {
    // Act
    const result = await runCli(['--help']);
    // Assess
    expect(result.code).toBe(0);
    for (const [name, entry] of Object.entries(COMMANDS)) expect(result.stdout).toContain(`  ${[name, entry.term].filter((p) => p !== '').join(' ')}`);
    expect(result.stdout).toContain('help [command]');
  });

  it("shows a command's own options with help <command>, as with <command> --help", async () => {
    // Act
    const [viaHelp, viaFlag] = await Promise.all([runCli(['help', 'run']), runCli(['run', '--help'])]);
    // Assess
    expect(viaHelp.stdout).toContain('--checkpoint-dir <dir>');
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('names an unknown command in one line', async () => {
    // Act
    const result = await runCli(['rnu']);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'rnu'");
  });
});
