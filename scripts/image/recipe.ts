/**
 * What goes into the container image, in one place: read by the daemonless build, and checked against the
 * Dockerfile and the Node 24 test run by tests, so every way of building runs the Node version we test.
 */
import { readFileSync } from 'node:fs';
import type { ImageProcess } from './oci.js';

/** The pinned Node.js release of the image and of `npm run test:node24` (`scripts/image/versions.json`). */
export function pinnedNodeVersion(): string {
  const versions: unknown = JSON.parse(readFileSync(new URL('versions.json', import.meta.url), 'utf8'));
  const node = (versions as { node?: unknown }).node;
  if (typeof node !== 'string' || !/^\d+\.\d+\.\d+$/.test(node)) {
    throw new Error(
      `scripts/image/versions.json: "node" must be a version like 24.1.0, got ${JSON.stringify(node)}`,
    );
  }
  return node;
}

/** Numeric, so the Deployment's `runAsNonRoot` can verify it without reading /etc/passwd. */
export const RUNTIME_USER = { name: 'nonroot', uid: 65532, gid: 65532 } as const;

export const APP_DIR = '/app';

/** Where the Node binary lives, as in the official node images. */
export const NODE_PATH = '/usr/local/bin/node';

/** Shared libraries the Node binary links (`readelf -d node`: libc, libm, libdl, libpthread, libstdc++, libgcc_s). */
export const DEBIAN_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6'] as const;

export function imageProcess(version: string): ImageProcess {
  return {
    user: `${String(RUNTIME_USER.uid)}:${String(RUNTIME_USER.gid)}`,
    // Node directly: the bin script's `#!/usr/bin/env node` needs an env binary the image does not have.
    entrypoint: [NODE_PATH, `${APP_DIR}/bin/agent-stack-k8s.js`],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
    workingDir: APP_DIR,
    labels: {
      'org.opencontainers.image.title': 'agent-stack-k8s',
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.licenses': 'MIT',
    },
  };
}
