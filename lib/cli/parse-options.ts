import type { z } from 'zod';
import { ConfigError } from '../core/errors';

/**
 * Validates parsed CLI options once, at the edge. The first problem becomes a ConfigError naming the
 * option as the user typed it (`--max-rate`), the value given, and the rule.
 */
export function parseOptions<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? 'options');
  const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new ConfigError(flag, `${issue.message} (given ${JSON.stringify(raw[field])})`);
}
