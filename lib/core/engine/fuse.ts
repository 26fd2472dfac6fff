import type { ElementOp, OutputOp } from '../pipeline/op-spec';

/** Receives one element. A fused pass is one `Push` per stage, each calling the next. */
export type Push = (x: unknown) => void;

/** An output operator's tap: collects what flows past it during one batch. */
export interface Tap {
  readonly op: OutputOp;
  items: unknown[];
}

/**
 * Composes element operators and taps into a single function per element, innermost first, so a
 * record flows through every stage in one call chain: no intermediate array per stage.
 */
export function fuse(chain: ReadonlyArray<ElementOp | Tap>, sink: Push): Push {
  let next = sink;
  for (let i = chain.length - 1; i >= 0; i--) next = stage(chain[i]!, next);
  return next;
}

function stage(step: ElementOp | Tap, next: Push): Push {
  if ('items' in step) {
    const tap = step;
    return (x) => {
      tap.items.push(x);
      next(x);
    };
  }
  switch (step.kind) {
    case 'map': {
      const fn = step.fn;
      return (x) => next(fn(x));
    }
    case 'filter': {
      const fn = step.fn;
      return (x) => {
        if (fn(x)) next(x);
      };
    }
    case 'flatMap': {
      const fn = step.fn;
      return (x) => {
        const out = fn(x);
        if (Array.isArray(out)) {
          for (let i = 0; i < out.length; i++) next(out[i]);
        } else {
          for (const y of out) next(y);
        }
      };
    }
    case 'mapValues': {
      const fn = step.fn;
      return (x) => {
        const pair = asPair(x, 'mapValues');
        next([pair[0], fn(pair[1])]);
      };
    }
  }
}

/** Checks that a keyed operator got a `[key, value]` pair, with a message that says what it got instead. */
export function asPair(x: unknown, operator: string): readonly [unknown, unknown] {
  if (Array.isArray(x) && x.length === 2) return x as unknown as readonly [unknown, unknown];
  throw new TypeError(`${operator} expects [key, value] pairs, got ${describe(x)}`);
}

function describe(x: unknown): string {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? String(x) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return typeof x;
  }
}

/**
 * One element operator applied to `values` one by one, unfused: what it makes of them (none when
 * filtered, many for `flatMap`). For the rare paths that must see each step on its own; the fused
 * pass is {@link fuse}.
 */
export function applyStep(step: ElementOp, values: readonly unknown[]): unknown[] {
  const next: unknown[] = [];
  for (const v of values) {
    switch (step.kind) {
      case 'map':
        next.push(step.fn(v));
        break;
      case 'filter':
        if (step.fn(v)) next.push(v);
        break;
      case 'flatMap':
        for (const y of step.fn(v)) next.push(y);
        break;
      case 'mapValues': {
        const pair = asPair(v, 'mapValues');
        next.push([pair[0], step.fn(pair[1])]);
        break;
      }
    }
  }
  return next;
}
