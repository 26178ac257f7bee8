import type { BuildkiteError } from '../buildkite/types.js';

/** One-line description of a Buildkite API error for logs. */
export function describeBuildkiteError(error: BuildkiteError): string {
  return `${error.status === null ? 'network error' : `HTTP ${error.status}`}: ${error.message}`;
}
