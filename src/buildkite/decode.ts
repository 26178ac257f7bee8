/** Turns a transport outcome into a typed result by validating the body against a zod schema. */
import type { z } from 'zod';
import type { HttpOutcome } from './http.js';
import type { ApiResult } from './types.js';

/**
 * A 2xx body that does not match is a retryable error, as in the Go client (a proxy may have
 * answered, or the body was cut short).
 */
export function decode<S extends z.ZodType, T>(
  outcome: HttpOutcome,
  schema: S,
  what: string,
  map: (body: z.infer<S>) => T,
): ApiResult<T> {
  if (!outcome.ok) return outcome;
  const parsed = schema.safeParse(outcome.body);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        kind: 'retryable',
        status: outcome.status,
        message: `${what}: unexpected response body: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        retryAfterMs: null,
      },
    };
  }
  return { ok: true, value: map(parsed.data), retryAfterMs: outcome.retryAfterMs };
}
