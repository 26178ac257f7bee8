/**
 * `npm run test:image`: builds the image with `npm run image`, unpacks its root filesystem layer by layer
 * and runs the controller inside it with chroot, as the image's user, entrypoint and environment.
 * Needs root (chroot); SKIP_IMAGE_TESTS=1 skips it on machines without.
 */
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { runCommand } from './command.js';
import { pinnedNodeVersion } from './recipe.js';
import { applyLayers, readLayoutArchive, type UnpackedImage } from './unpack.js';

const projectDir = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(process.env.SKIP_IMAGE_TESTS === '1')('container image (npm run image)', () => {
  let work = '';
  let rootfs = '';
  let image: UnpackedImage;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the image test chroots into the unpacked image and needs root; set SKIP_IMAGE_TESTS=1 to skip it',
      );
    }
    work = await mkdtemp(join(tmpdir(), 'image-test-'));
    const archive = join(work, 'agent-stack-k8s-oci.tar');
    await runCommand('npm', ['run', '--silent', 'image', '--', '--output', archive], { cwd: projectDir });
    const layout = join(work, 'layout');
    rootfs = join(work, 'rootfs');
    await mkdir(layout);
    await mkdir(rootfs);
    image = await readLayoutArchive(archive, layout);
    await applyLayers(image, rootfs);
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs the image's entrypoint with `args`, as `docker run <image> <args>` would, minus namespaces. */
  function runImage(
    args: readonly string[],
    entrypoint = image.config.config.Entrypoint ?? [],
  ): Promise<string> {
    const chroot = execFileSync('sh', ['-c', 'command -v chroot'], { encoding: 'utf8' }).trim();
    const env: Record<string, string> = {};
    for (const entry of image.config.config.Env ?? []) {
      const at = entry.indexOf('=');
      env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return runCommand(
      chroot,
      [`--userspec=${image.config.config.User ?? ''}`, rootfs, ...entrypoint, ...args],
      {
        env,
      },
    );
  }

  it('runs as a numeric non-root user', () => {
    expect(image.config.config.User).toMatch(/^[1-9]\d*:\d+$/);
  });

  it('prints its version with the image entrypoint', async () => {
    expect(await runImage(['version'])).toMatch(
      new RegExp(`^agent-stack-k8s ${VERSION.replaceAll('.', '\\.')} `),
    );
  });

  it('ships the pinned Node release', async () => {
    expect((await runImage(['--version'], ['/usr/local/bin/node'])).trim()).toBe(`v${pinnedNodeVersion()}`);
  });

  it('runs the demo (controller, simulated Buildkite and Kubernetes) with production dependencies only and nothing writable', async () => {
    // Upstream's chart mounts the root filesystem read-only and no emptyDir on /tmp: so /tmp too.
    await chmod(join(rootfs, 'tmp'), 0o755);
    try {
      const summary = JSON.parse(await runImage(['demo', '--jobs', '3', '--json'])) as Record<
        string,
        unknown
      >;
      expect(summary).toMatchObject({ jobs: 3, created: 3, lost: 0, duplicates: 0 });
    } finally {
      await chmod(join(rootfs, 'tmp'), 0o1777);
    }
  });

  it('lets its user write nowhere but /tmp, as with a read-only root filesystem', async () => {
    const writable: string[] = [];
    for (const path of await readdir(rootfs, { recursive: true })) {
      const info = await lstat(join(rootfs, path));
      if (info.isSymbolicLink()) continue;
      const ownedByRoot = info.uid === 0 && (info.gid === 0 || (info.mode & 0o020) === 0);
      if (!ownedByRoot || ((info.mode & 0o002) !== 0 && path !== 'tmp')) writable.push(path);
    }
    expect(writable).toEqual([]);
  });
});
