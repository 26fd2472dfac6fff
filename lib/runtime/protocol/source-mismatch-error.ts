import { ConfigError } from '../../core/errors';
import type { CheckpointRecord } from './checkpoint-record';

/**
 * The refusal of a source that is not the one a shard's offsets were committed from, naming the
 * shard, both sources and the ways out; `appSetting` is the option or variable that names the app.
 */
export function sourceMismatchError(app: string, shardId: string, checkpoint: CheckpointRecord, sourceId: string, appSetting: string): ConfigError {
  const what = sourceId.startsWith('arn:aws:kinesis:') ? 'stream' : 'source';
  return new ConfigError(
    'source',
    `shard ${shardId} of app ${app} holds the offsets of ${checkpoint.sourceId} (committed up to ${checkpoint.committedSeq}), not of ${sourceId}; give this ${what} an app of its own (${appSetting}), or delete the app's checkpoint to start over`,
  );
}

/** True when `sourceId`, a checkpoint's source, is the Kinesis stream named `stream` (its ARN ends with `:stream/NAME`). */
export function isStreamSource(sourceId: string, stream: string): boolean {
  return sourceId.endsWith(`:stream/${stream}`);
}
