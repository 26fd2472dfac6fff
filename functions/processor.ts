import wordCount from '../examples/word-count';
import { createProcessorHandler } from '../lib/runtime/lambda/create-processor-handler';

/**
 * The processor Lambda: Kinesis event in, `KinesisStreamBatchResponse` out, one micro-batch of one
 * shard per invocation. Configured by APP_NAME, TABLE_NAME, BUCKET_NAME, WAL_ENABLED,
 * MAX_RATE_PER_SHARD, BATCHING_WINDOW_SECONDS and PIPELINE (see `loadProcessorConfig`), checked
 * here at cold start.
 *
 * The pipeline is bundled in: this entry runs the word count. For another pipeline, bundle an entry
 * of the same two lines that imports it instead (`createProcessorHandler` from
 * `lib/runtime/lambda/create-processor-handler`).
 */
export const handler = createProcessorHandler(wordCount);
