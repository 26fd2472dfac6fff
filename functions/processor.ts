import pipeline from 'sluice-pipeline';
import { createProcessorHandler } from '../lib/compose/create-processor-handler';

/**
 * The processor Lambda: Kinesis event in, `KinesisStreamBatchResponse` out, one micro-batch of one
 * shard per invocation. Configured by APP_NAME, TABLE_NAME, BUCKET_NAME,
 * WAL_ENABLED, MAX_RATE_PER_SHARD, BATCHING_WINDOW_SECONDS, MAX_BATCH_ATTEMPTS
 * and PIPELINE, and for a pipeline with exchanges SLUICE_STAGE, SLUICE_EXCHANGE_STREAM and
 * SLUICE_EXCHANGE_ORIGINS_STREAM (see `loadProcessorConfig`), checked here at cold start.
 *
 * The pipeline is bundled in: the `StreamProcessor` construct aliases `sluice-pipeline` to the
 * app's pipeline module (its `pipeline` prop) when esbuild bundles this entry, built as
 * `dist/functions/processor.js`. In sluice's own type check and tests it is the word count
 * (tsconfig.json `paths`).
 */
export const handler = createProcessorHandler(pipeline);
