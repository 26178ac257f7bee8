/**
 * Stack notification batcher: messages shown on a job's page ("K8s Job created ..."). Queued
 * without blocking, sent every interval in batches, and flushed on close (upstream drops them).
 */
import type { Logger } from '../../observability/logger.js';
import { chunks, STACK_BATCH_LIMIT } from '../batch.js';
import { cropUtf8, NOTIFICATION_DETAIL_CROPPED, NOTIFICATION_DETAIL_MAX_BYTES } from '../text.js';
import type { ApiResult } from '../types.js';

export interface StackNotification {
  readonly job_uuid: string;
  readonly detail: string;
  readonly timestamp: string;
}

/** Per-index rejections from the notifications endpoint. */
export interface NotificationRejection {
  readonly error: string;
  readonly indexes: readonly number[];
}

export interface NotificationBatcherOptions {
  readonly send: (
    batch: readonly StackNotification[],
  ) => Promise<ApiResult<readonly NotificationRejection[]>>;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly batchSize?: number;
  /** Queued notifications beyond this are dropped (and counted) rather than growing memory. */
  readonly capacity?: number;
  readonly now?: () => number;
}

export class NotificationBatcher {
  private queue: StackNotification[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private droppedCount = 0;
  private closed = false;
  private readonly batchSize: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(private readonly options: NotificationBatcherOptions) {
    this.batchSize = options.batchSize ?? STACK_BATCH_LIMIT;
    this.capacity = options.capacity ?? 100_000;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => {
      this.flushing = this.flushing.then(() => this.flush());
    }, options.intervalMs ?? 100);
    this.timer.unref();
  }

  /** Queues one notification; false when it was refused (closed, empty detail, queue full). */
  enqueue(jobId: string, detail: string): boolean {
    if (this.closed) return false;
    if (detail === '') {
      this.options.logger.warn({ jobId }, 'refusing an empty stack notification');
      return false;
    }
    if (this.queue.length >= this.capacity) {
      this.droppedCount++;
      if (this.droppedCount === 1 || this.droppedCount % 1000 === 0) {
        this.options.logger.warn({ dropped: this.droppedCount }, 'stack notification queue full; dropping');
      }
      return false;
    }
    this.queue.push({
      job_uuid: jobId,
      detail: cropUtf8(detail, NOTIFICATION_DETAIL_MAX_BYTES, NOTIFICATION_DETAIL_CROPPED),
      timestamp: new Date(this.now()).toISOString(),
    });
    return true;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Stops the timer and sends everything still queued. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const all = this.queue;
    this.queue = [];
    await Promise.all(
      chunks(all, this.batchSize).map(async (batch) => {
        try {
          const res = await this.options.send(batch);
          if (!res.ok) {
            this.options.logger.warn(
              { error: res.error.message, count: batch.length },
              'sending stack notifications failed',
            );
            return;
          }
          for (const rejection of res.value) {
            const jobIds = rejection.indexes.map((i) => batch[i]?.job_uuid);
            this.options.logger.warn({ error: rejection.error, jobIds }, 'stack notifications rejected');
          }
        } catch (err) {
          this.options.logger.error({ err }, 'stack notification batch threw');
        }
      }),
    );
  }
}
