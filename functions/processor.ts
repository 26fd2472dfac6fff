import pipeline from 'sluice-pipeline';
import { createProcessorHandler } from '../lib/runtime/lambda/create-processor-handler';

/**
 * The processor Lambda: Kinesis event in, `KinesisStreamBatchResponse` out, one micro-batch of one
 * shard per invocation. Configured by APP_NAME, TABLE_NAME, BUCKET_NAME,
 * WAL_ENABLED, MAX_RATE_PER_SHARD, BATCHING_WINDOW_SECONDS, MAX_BATCH_ATTEMPTS
 * and PIPELINE (see `loadProcessorConfig`), checked here at cold start.
 *
 * The pipeline is bundled in: `sluice-pipeline` is the word count (tsconfig.json `paths`) unless the
 * bundler aliases it to the app's pipeline module (the StreamProcessor construct's `pipelineEntry`).
 */
export const handler = createProcessorHandler(pipeline);
