/** Request/response plumbing for the simulator: body reading, JSON replies, errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads the body, gunzipping when the client says so; bodies over `maxBytes` are refused. */
export async function readBody(req: IncomingMessage, maxBytes = 32 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > maxBytes) throw new HttpError(413, 'Request body too large');
    parts.push(part);
  }
  const raw = Buffer.concat(parts);
  if (req.headers['content-encoding'] === 'gzip') {
    try {
      return gunzipSync(raw);
    } catch {
      throw new HttpError(400, 'Body is not valid gzip');
    }
  }
  return raw;
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'Body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

export function stringList(value: unknown, what: string, max: number): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new HttpError(422, `${what} must be an array of strings`);
  }
  if (value.length > max) throw new HttpError(422, `${what} can contain at most ${max} items`);
  return value;
}

export function optionalStringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  ) {
    throw new HttpError(422, `${what} must be an object of strings`);
  }
  return value as Record<string, string>;
}
