import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageProcess, pinnedNodeVersion } from './recipe.js';

const root = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');

describe('one image, whichever way it is built', () => {
  it('pins a Node 24 release', () => {
    expect(pinnedNodeVersion()).toMatch(/^24\.\d+\.\d+$/);
  });

  it("the Dockerfile's Node version is the pinned one", () => {
    expect(dockerfile).toMatch(
      new RegExp(`^ARG NODE_VERSION=${pinnedNodeVersion().replaceAll('.', '\\.')}$`, 'm'),
    );
  });

  it('the Dockerfile runs as the same numeric user with the same entrypoint as the daemonless image', () => {
    const image = imageProcess('0.0.0');
    expect(dockerfile).toMatch(new RegExp(`^USER ${image.user}$`, 'm'));
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(image.entrypoint);
  });

  it('the Node 24 test run uses the pinned version', () => {
    const script = readFileSync(new URL('scripts/node24-test.sh', root), 'utf8');
    expect(script).toContain('scripts/image/versions.json');
    expect(script).toMatch(/node@\$\{?version\}?/);
  });
});
