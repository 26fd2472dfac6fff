import type { z } from 'zod';

/**
 * Turns zod's issues with a Lambda's environment into one line each, naming the variable, the value
 * given (or that it is not set) and the rule, for the one ConfigError a cold start throws.
 */
export function envProblems(issues: readonly z.core.$ZodIssue[], env: Readonly<Record<string, string | undefined>>): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0]);
    const given = env[name] === undefined || env[name] === '' ? ' is not set' : `=${JSON.stringify(env[name])}`;
    return `${name}${given}: ${issue.message.replace(/^is required: /, 'required, ')}`;
  });
}

/** CloudFormation writes `''` for an omitted value: empty counts as unset. */
export const blank = (value: unknown): unknown => (value === '' ? undefined : value);
