import { pipeline, type KeyState } from 'sluice';

/** A session ends after this much event time without a click from its user. */
const IDLE_TIMEOUT_MS = 30 * 60_000;

/** How late a click may come behind the latest one seen and still join its session. */
const MAX_OUT_OF_ORDERNESS_MS = 60_000;

/** One click: JSON `{"user":"u1","page":"/cart","ts":1700000000000}`, or a text line `user page`. */
interface Click {
  readonly user: string;
  readonly page: string;
  /** Event time; a text line has none and takes its arrival time. */
  readonly ts?: number;
}

/** A user's visit: consecutive clicks less than the idle timeout apart. */
interface Session {
  readonly user: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly clicks: number;
  readonly pages: string[];
}

/**
 * Sessionization with `mapWithState`: clicks are keyed by user, and a user's session grows with
 * each click. A session is emitted when it ends: when the watermark passes its last click plus 30
 * minutes (the state times out), or when the user's next click comes more than 30 minutes later.
 * Idleness is measured in event time, so replaying an old file gives the same sessions.
 *
 * Make the Kinesis partition key the user id: a user's state then lives on one shard.
 *
 * Run it: `npx sluice run --pipeline examples/sessions.ts --source file:examples/clicks.ndjson`
 * (or `--source generator`, where a line's first word is the user and its arrival the time).
 */
export default pipeline('sessions')
  .map(parseClick)
  .map((click) => [click.user, click])
  .mapWithState(sessionize, {
    name: 'sessions',
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    eventTime: ([, click], arrivalMs) => click.ts ?? arrivalMs,
    maxOutOfOrdernessMs: MAX_OUT_OF_ORDERNESS_MS,
  })
  .map(describe)
  .print(20);

/** Extends the user's session with `click`, or closes it (returning it) when `click` starts a new one. */
function sessionize(user: string, click: Click | undefined, state: KeyState<Session>): Session | undefined {
  if (state.isTimingOut()) return state.get();
  const at = state.timestampMs();
  const open = state.getOption();
  if (open !== undefined && at - open.endMs < IDLE_TIMEOUT_MS) {
    state.update({
      ...open,
      startMs: Math.min(open.startMs, at),
      endMs: Math.max(open.endMs, at),
      clicks: open.clicks + 1,
      pages: open.pages.includes(click!.page) ? open.pages : [...open.pages, click!.page],
    });
    return undefined;
  }
  state.update({ user, startMs: at, endMs: at, clicks: 1, pages: [click!.page] });
  return open;
}

function parseClick(line: string): Click {
  if (line.startsWith('{')) {
    const c = JSON.parse(line) as Click;
    if (typeof c.user !== 'string' || typeof c.page !== 'string' || (c.ts !== undefined && typeof c.ts !== 'number'))
      throw new TypeError(`not a click: ${line}`);
    return c;
  }
  const [user = '', page = '/'] = line.split(/\s+/);
  return { user, page };
}

function describe(s: Session): string {
  const minutes = Math.round((s.endMs - s.startMs) / 60_000);
  return `${s.user.padEnd(8)} ${new Date(s.startMs).toISOString().slice(0, 16)}Z  ${String(minutes).padStart(3)} min  ${String(s.clicks).padStart(3)} clicks  ${s.pages.join(' ')}`;
}
