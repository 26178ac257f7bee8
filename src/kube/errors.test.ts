import { describe, expect, it } from 'vitest';
import { errorFromResponse, errorFromStatus, parseRetryAfter } from './errors.js';

const status = (code: number, reason: string, extra: object = {}) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `m ${reason}`,
  reason,
  code,
  ...extra,
});

describe('errorFromResponse', () => {
  it.each([
    [409, 'AlreadyExists', 'AlreadyExists'],
    [409, 'Conflict', 'Conflict'],
    [404, 'NotFound', 'NotFound'],
    [410, 'Expired', 'Gone'],
    [410, 'Gone', 'Gone'],
    [403, 'Forbidden', 'Forbidden'],
    [401, 'Unauthorized', 'Unauthorized'],
    [504, 'Timeout', 'Timeout'],
    [500, 'ServerTimeout', 'Timeout'],
    [500, 'InternalError', 'ServerError'],
    [400, 'BadRequest', 'BadRequest'],
  ])('maps %i %s to %s and keeps the reason', (code, reason, kind) => {
    expect(errorFromResponse(code, status(code, reason))).toEqual({
      kind,
      code,
      reason,
      message: `m ${reason}`,
    });
  });

  it('keeps the causes of Invalid', () => {
    const causes = [{ reason: 'FieldValueInvalid', message: 'Invalid value', field: 'metadata.name' }];
    expect(errorFromResponse(422, status(422, 'Invalid', { details: { causes } }))).toMatchObject({
      kind: 'Invalid',
      causes,
    });
  });

  it('prefers the Retry-After header for TooManyRequests, else the Status details', () => {
    const body = status(429, 'TooManyRequests', { details: { retryAfterSeconds: 3 } });
    expect(errorFromResponse(429, body, '9')).toMatchObject({
      kind: 'TooManyRequests',
      retryAfterSeconds: 9,
    });
    expect(errorFromResponse(429, body)).toMatchObject({ retryAfterSeconds: 3 });
  });

  it('falls back to the HTTP code for bodies that are not a Status', () => {
    expect(errorFromResponse(503, 'upstream connect error')).toEqual({
      kind: 'ServerError',
      code: 503,
      reason: '',
      message: 'upstream connect error',
    });
    expect(errorFromResponse(422, undefined)).toMatchObject({ kind: 'Invalid', causes: [] });
    expect(errorFromResponse(418, undefined).kind).toBe('Unknown');
  });

  it('types the Status of a watch ERROR event', () => {
    expect(errorFromStatus(status(410, 'Expired'))).toMatchObject({ kind: 'Gone', code: 410 });
  });
});

describe('parseRetryAfter', () => {
  it('accepts whole seconds only', () => {
    expect(parseRetryAfter(' 12 ')).toBe(12);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
