/** Env var helpers with upstream's "set" semantics: replace the value in place, else append. */
import type { Container, EnvVar } from './k8s.js';

export function envVar(name: string, value: string): EnvVar {
  return { name, value };
}

/** Sets `name` on the container: an existing entry keeps its position and gets the new value. */
export function setEnv(container: Container, name: string, value: string): void {
  const env = (container.env ??= []);
  const index = env.findIndex((e) => e.name === name);
  if (index === -1) env.push({ name, value });
  else env[index] = { name, value };
}

export function setEnvIfDefined(container: Container, name: string, value: string | undefined): void {
  if (value !== undefined) setEnv(container, name, value);
}

export function setEnvBool(container: Container, name: string, value: boolean | undefined): void {
  if (value !== undefined) setEnv(container, name, value ? 'true' : 'false');
}

/** Comma-joined; only when the list has entries (upstream's setEnvCommaSep). */
export function setEnvList(container: Container, name: string, value: readonly string[] | undefined): void {
  if (value !== undefined && value.length > 0) setEnv(container, name, value.join(','));
}

export function hasEnv(container: Container, name: string): boolean {
  return container.env?.some((e) => e.name === name) ?? false;
}
