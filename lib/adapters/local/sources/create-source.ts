import type { Readable } from 'node:stream';
import { ConfigError } from '../../../core/errors';
import type { Clock } from '../../../ports/clock';
import type { ObjectStore } from '../../../ports/object-store';
import type { Source } from '../../../ports/source';
import type { SourceLedger } from '../../../ports/source-ledger';
import { FileSource } from './file-source';
import { DEFAULT_GENERATOR_SEED, GeneratorSource, type GeneratorSourceOptions } from './generator-source';
import { SocketSource } from './socket-source';
import { StdinSource } from './stdin-source';

/** The forms `--source` accepts, as printed in its error message. */
export const SOURCE_SPEC_FORMS = ['generator', 'generator:SEED', 'file:PATH', 'stdin', 'socket:PORT', 'socket:HOST:PORT'] as const;

/** What the sources need from the running app. */
export interface CreateSourceDeps {
  readonly clock: Clock;
  /** The app's object store: stdin and socket keep their receiver log there. */
  readonly store: ObjectStore;
  readonly app: string;
  /** Input of `stdin`. @default process.stdin */
  readonly stdin?: Readable;
  /** Overrides for the generator (profile, limit, ...); the seed comes from the spec. @default the generator's defaults */
  readonly generator?: Partial<Omit<GeneratorSourceOptions, 'seed' | 'clock'>>;
  /**
   * The app's checkpoint: a file, and the receiver log of stdin and sockets, check at start that they
   * are still the input whose positions it committed. @default - unchecked
   */
  readonly ledger?: SourceLedger;
  /** `--from-start`: count a file that is not the one committed from its first line. Files only. @default false */
  readonly fromStart?: boolean;
}

/**
 * Builds the source named by `sluice run --source SPEC`. Replayable inputs (generator, file) are
 * read directly; stdin and sockets go through the receiver log in `deps.store`.
 *
 * @throws ConfigError naming `--source`, the value and the accepted forms.
 * @example
 * const source = createSource('socket:9999', { clock, store, app: 'word-count' });
 */
export function createSource(spec: string, deps: CreateSourceDeps): Source {
  const [kind, ...rest] = spec.split(':');
  const argument = rest.join(':');
  const invalid = (why: string): never => {
    throw new ConfigError('--source', `${why} in ${JSON.stringify(spec)}; expected one of: ${SOURCE_SPEC_FORMS.join(', ')}`);
  };
  const form = rest.length === 0 ? kind : `${kind}:`;
  if (deps.fromStart === true && form !== 'file:')
    throw new ConfigError('--from-start', `applies to file: sources only, whose lines can be read again (given --source ${spec})`);
  switch (form) {
    case 'generator':
      return new GeneratorSource({ ...deps.generator, seed: DEFAULT_GENERATOR_SEED, clock: deps.clock });
    case 'generator:': {
      if (!/^\d+$/.test(argument) || !Number.isSafeInteger(Number(argument))) invalid('the seed must be a non-negative integer');
      return new GeneratorSource({ ...deps.generator, seed: Number(argument), clock: deps.clock });
    }
    case 'file:':
      if (argument === '') invalid('the file path is empty');
      return new FileSource(argument, { ledger: deps.ledger, fromStart: deps.fromStart });
    case 'stdin':
      return new StdinSource({ store: deps.store, app: deps.app, clock: deps.clock, input: deps.stdin, ledger: deps.ledger });
    case 'socket:': {
      // The port is after the last colon, so an IPv6 host may be given as [::1] or bare.
      const colon = argument.lastIndexOf(':');
      const host = colon < 0 ? undefined : argument.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
      const port = argument.slice(colon + 1);
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65_535) invalid('the port must be an integer from 1 to 65535');
      if (host === '') invalid('the host is empty');
      return new SocketSource({ port: Number(port), host, store: deps.store, app: deps.app, clock: deps.clock, ledger: deps.ledger });
    }
    default:
      return invalid(`unknown source ${JSON.stringify(kind)}`);
  }
}
