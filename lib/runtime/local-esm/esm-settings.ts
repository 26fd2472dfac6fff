import { checkRange } from '../../core/rate/check-range';

/**
 * The event source mapping settings the local ESM honours, named as in `CreateEventSourceMapping`
 * (camelCased). Defaults are AWS's, so a mapping behaves locally as it would when deployed.
 */
export interface EsmSettings {
  /** Most records per invocation (1 to 10,000). @default 100 */
  readonly batchSize?: number;
  /** Longest time records are gathered before an invocation, whole seconds (0 to 300). @default 0 */
  readonly maximumBatchingWindowInSeconds?: number;
  /**
   * Honour `batchItemFailures` in the handler's response. Off, a response is ignored and only a
   * thrown error fails the batch, as on AWS without `FunctionResponseTypes: ['ReportBatchItemFailures']`.
   * @default false
   */
  readonly reportBatchItemFailures?: boolean;
  /** Retries of a failing batch before it is discarded; -1 retries until the handler succeeds. @default -1 */
  readonly maximumRetryAttempts?: number;
  /** On a function error, split the batch in two and deliver the halves separately. @default false */
  readonly bisectBatchOnFunctionError?: boolean;
}

/** {@link EsmSettings} with every default applied and every range checked. */
export type ResolvedEsmSettings = { readonly [K in keyof EsmSettings]-?: NonNullable<EsmSettings[K]> };

/** Largest synchronous invocation payload Lambda accepts (6 MB); a batch never exceeds it. */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Applies AWS's defaults and ranges; a value out of range throws a `ConfigError` naming it. */
export function resolveEsmSettings(settings: EsmSettings = {}): ResolvedEsmSettings {
  return {
    batchSize: checkRange('batchSize', settings.batchSize ?? 100, { min: 1, max: 10_000, integer: true }),
    maximumBatchingWindowInSeconds: checkRange('maximumBatchingWindowInSeconds', settings.maximumBatchingWindowInSeconds ?? 0, {
      min: 0,
      max: 300,
      integer: true,
    }),
    reportBatchItemFailures: settings.reportBatchItemFailures ?? false,
    maximumRetryAttempts: checkRange('maximumRetryAttempts', settings.maximumRetryAttempts ?? -1, { min: -1, max: 10_000, integer: true }),
    bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError ?? false,
  };
}
