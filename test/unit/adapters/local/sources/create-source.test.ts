import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../lib/core/errors';
import { MemoryObjectStore } from '../../../../../lib/adapters/local/memory-object-store';
import { createSource } from '../../../../../lib/adapters/local/sources/create-source';
import { FileSource } from '../../../../../lib/adapters/local/sources/file-source';
import { GENERATOR_SHARD_ID, GeneratorSource } from '../../../../../lib/adapters/local/sources/generator-source';
import { SocketSource } from '../../../../../lib/adapters/local/sources/socket-source';
import { StdinSource } from '../../../../../lib/adapters/local/sources/stdin-source';
import { FakeClock } from '../../../../helpers/fake-clock';

const deps = () => ({ clock: new FakeClock(), store: new MemoryObjectStore(), app: 'app' });

describe('createSource', () => {
  it.each([
    ['generator', GeneratorSource],
    ['generator:123', GeneratorSource],
    ['file:/tmp/in.txt', FileSource],
    ['file:C:/data/in.txt', FileSource],
    ['stdin', StdinSource],
    ['socket:9999', SocketSource],
    ['socket:0.0.0.0:9999', SocketSource],
    ['socket:[::1]:9999', SocketSource],
  ])('builds %s', (spec, type) => {
    // Act
    const source = createSource(spec, deps());

    // Assess
    expect(source).toBeInstanceOf(type);
  });

  it('keeps the whole path after file:, colons included', () => {
    // Act
    const source = createSource('file:C:/data/in.txt', deps()) as FileSource;

    // Assess
    expect(source.path).toBe('C:/data/in.txt');
  });

  it('seeds the generator from the spec', async () => {
    // Prepare
    const [seven, alsoSeven, eight] = ['generator:7', 'generator:7', 'generator:8'].map((spec) => createSource(spec, deps()) as GeneratorSource);

    // Act
    const lines = [seven!, alsoSeven!, eight!].map((source) => source.line(1));

    // Assess
    expect(lines[0]).toBe(lines[1]);
    expect(lines[0]).not.toBe(lines[2]);
  });

  it('passes generator overrides through', async () => {
    // Prepare
    const source = createSource('generator', { ...deps(), generator: { limit: 0 } });

    // Act
    const result = await source.read(GENERATOR_SHARD_ID, undefined, 10);

    // Assess
    expect(result.endOfData).toBe(true);
  });

  it.each(['', 'kinesis', 'generator:abc', 'generator:-1', 'file:', 'socket:', 'socket:http', 'socket:70000', 'socket:0', 'socket::9999', 'stdin:x'])(
    'rejects %j naming --source, the value and the accepted forms',
    (spec) => {
      // Act
      const build = () => createSource(spec, deps());

      // Assess
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(`--source: `);
      expect(build).toThrow(JSON.stringify(spec));
      expect(build).toThrow('expected one of: generator, generator:SEED, file:PATH, stdin, socket:PORT, socket:HOST:PORT');
    },
  );

  it.each(['generator', 'stdin', 'socket:9999'])('rejects --from-start with %s, whose input cannot be read again', (spec) => {
    // Act
    const build = () => createSource(spec, { ...deps(), fromStart: true });

    // Assess
    expect(build).toThrow(`--from-start: applies to file: sources only, whose lines can be read again (given --source ${spec})`);
  });
});
