import pipeline from 'sluice-pipeline';
import { createProcessorHandler } from '../lib/runtime/lambda/create-processor-handler';

/**
 * The processor Lambda: Kinesis event in, `KinesisStreamBatchResponse` out, one micro-batch of one
 * shard per invocation. Configured by SLUICE_APP, SLUICE_TABLE_NAME, SLUICE_BUCKET_NAME,
 * SLUICE_WAL_ENABLED, SLUICE_MAX_RATE_PER_SHARD, SLUICE_BATCH_INTERVAL_MS, SLUICE_MAX_BATCH_ATTEMPTS
 * and SLUICE_PIPELINE (see `loadProcessorConfig`), checked here at cold start.
 *
 * The pipeline is bundled in: `sluice-pipeline` is the word count (tsconfig.json `paths`) unless the
 * bundler aliases it to the app's pipeline module (the StreamProcessor construct's `pipelineEntry`).
 */
export const handler = createProcessorHandler(pipeline);
