/** A command as a client's `send` receives it: its class names the API call. */
export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** Forwards a command to the real server and returns its output. */
export type Next = (command: unknown) => Promise<unknown>;

/**
 * Wraps a real SDK client's `send` to record every command and, where a test needs a failure moto
 * will not produce (a throttle, a 409, entries failing inside an HTTP 200), to answer or alter it.
 * Everything not intercepted reaches the real server unchanged.
 */
export function interceptSend(
  client: object,
  around: (command: SentCommand, next: Next, original: unknown) => Promise<unknown> = (_command, next, original) => next(original),
): SentCommand[] {
  const target = client as { send: (command: unknown) => Promise<unknown> };
  const send = target.send.bind(client);
  const sent: SentCommand[] = [];
  target.send = async (command: unknown) => {
    const described = { name: (command as object).constructor.name, input: (command as { input: Record<string, unknown> }).input };
    sent.push(described);
    return around(described, send, command);
  };
  return sent;
}

/** The names of the recorded commands, in order, e.g. `['GetShardIteratorCommand', 'GetRecordsCommand']`. */
export function namesOf(sent: readonly SentCommand[]): string[] {
  return sent.map((command) => command.name);
}
