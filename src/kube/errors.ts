/**
 * Kubernetes API failures as values. The kind comes from the `Status` body's reason when the server sent
 * one, else from the HTTP code, as client-go's `errors.ReasonForError` does.
 */

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** The `Status` object kube-apiserver returns for failures (and for some deletes). */
export interface KubeStatus {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
}

interface KubeErrorBase {
  /** HTTP status code; 0 when no response arrived. */
  readonly code: number;
  /** The Status reason as sent (e.g. `AlreadyExists`), '' when there was none; used as a metric label. */
  readonly reason: string;
  readonly message: string;
}

export type KubeError =
  | (KubeErrorBase & { readonly kind: 'Invalid'; readonly causes: readonly StatusCause[] })
  | (KubeErrorBase & { readonly kind: 'TooManyRequests'; readonly retryAfterSeconds: number | undefined })
  | (KubeErrorBase & {
      readonly kind:
        | 'AlreadyExists'
        | 'NotFound'
        | 'Conflict'
        | 'Gone'
        | 'Forbidden'
        | 'Unauthorized'
        | 'BadRequest'
        | 'Timeout'
        | 'ServerError'
        | 'Unknown';
    })
  /** No usable response: connection refused or reset, TLS failure, client-side timeout. */
  | (KubeErrorBase & { readonly kind: 'Network' })
  /** The caller's signal aborted the request. */
  | (KubeErrorBase & { readonly kind: 'Aborted' });

export type KubeErrorKind = KubeError['kind'];

export type KubeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KubeError };

export function ok<T>(value: T): KubeResult<T> {
  return { ok: true, value };
}

export function failed<T>(error: KubeError): KubeResult<T> {
  return { ok: false, error };
}

const KIND_BY_REASON: Readonly<Record<string, KubeErrorKind>> = {
  AlreadyExists: 'AlreadyExists',
  Invalid: 'Invalid',
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Gone',
  Forbidden: 'Forbidden',
  Unauthorized: 'Unauthorized',
  TooManyRequests: 'TooManyRequests',
  Timeout: 'Timeout',
  ServerTimeout: 'Timeout',
  BadRequest: 'BadRequest',
  InternalError: 'ServerError',
  ServiceUnavailable: 'ServerError',
};

function kindForCode(code: number): KubeErrorKind {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'ServerError' : 'Unknown';
  }
}

/** Parses a Retry-After header given in seconds (the only form kube-apiserver sends). */
export function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

function asStatus(body: unknown): KubeStatus | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const status = body as KubeStatus;
  return status.kind === 'Status' || typeof status.reason === 'string' ? status : undefined;
}

/** Builds the typed error for a failed response; `body` is the parsed JSON body, if any. */
export function errorFromResponse(code: number, body: unknown, retryAfterHeader?: string): KubeError {
  const status = asStatus(body);
  const reason = status?.reason ?? '';
  const kind = KIND_BY_REASON[reason] ?? kindForCode(status?.code ?? code);
  const message =
    status?.message ??
    (typeof body === 'string' && body !== '' ? body : `HTTP ${code} from the Kubernetes API`);
  const base = { code, reason, message };
  switch (kind) {
    case 'Invalid':
      return { ...base, kind, causes: status?.details?.causes ?? [] };
    case 'TooManyRequests':
      return {
        ...base,
        kind,
        retryAfterSeconds: parseRetryAfter(retryAfterHeader) ?? status?.details?.retryAfterSeconds,
      };
    default:
      return { ...base, kind };
  }
}

/** Error for a watch `ERROR` event, whose object is a Status (e.g. 410 Expired). */
export function errorFromStatus(status: KubeStatus): KubeError {
  return errorFromResponse(status.code ?? 0, status);
}

export function networkError(message: string): KubeError {
  return { kind: 'Network', code: 0, reason: '', message };
}

export function abortedError(): KubeError {
  return { kind: 'Aborted', code: 0, reason: '', message: 'request aborted' };
}

/** One line for logs: `Invalid (422): Job.batch "x" is invalid: ...`. */
export function describeKubeError(error: KubeError): string {
  return `${error.kind} (${error.code}): ${error.message}`;
}
