/**
 * What the controller does so far, for the demo's expectations and the scenario suite's gates. The lead
 * flips `watchers` when the job watcher, pod watcher and cancel checker are wired into `runController`.
 */
export interface Capabilities {
  /** Job/pod/completions watchers and the cancel checker run inside the controller. */
  readonly watchers: boolean;
}

export const CAPABILITIES: Capabilities = { watchers: false };
