/**
 * `sluice/producer`: writes records to an app's Kinesis stream no faster than the rates its
 * controller publishes, so producers slow down before the processors fall behind.
 *
 * @example
 * import { Producer } from 'sluice/producer';
 * const producer = new Producer({ app: 'clicks', stream: 'sluice-clicks', kinesis, checkpoints });
 *
 * @packageDocumentation
 */
export { Producer } from './runtime/producer/producer';
export type { ProducerOptions } from './runtime/producer/producer';
