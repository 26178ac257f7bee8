import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MEDIA_TYPES,
  accountFiles,
  blobPath,
  imageConfig,
  imageIndex,
  imageManifest,
  ociArchitecture,
  sha256,
  writeBlob,
  writeLayer,
  writeLayoutArchive,
  type Layer,
} from './oci.js';
import { imageProcess } from './recipe.js';
import { applyLayers, readLayoutArchive } from './unpack.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-test-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tree(root: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** A two-layer image of tiny trees, archived; the second layer overwrites a file of the first. */
async function tinyImage(): Promise<{ archive: string; layers: Layer[]; manifestDigest: string }> {
  const layout = join(work, 'layout');
  const layers = [
    await writeLayer(
      layout,
      await tree(join(work, 'a'), { 'etc/motd': 'one\n', 'bin/tool': '#!x\n' }),
      'base',
    ),
    await writeLayer(layout, await tree(join(work, 'b'), { 'etc/motd': 'two\n' }), 'top'),
  ];
  const config = await writeBlob(
    layout,
    MEDIA_TYPES.config,
    JSON.stringify(imageConfig({ architecture: 'amd64', process: imageProcess('1.2.3'), layers })),
  );
  const manifest = await writeBlob(
    layout,
    MEDIA_TYPES.manifest,
    JSON.stringify(imageManifest(config, layers)),
  );
  const archive = join(work, 'image.tar');
  await writeLayoutArchive({
    layoutDir: layout,
    manifest,
    config,
    layers,
    refName: '1.2.3',
    repoTag: 'tiny:1.2.3',
    architecture: 'amd64',
    output: archive,
  });
  return { archive, layers, manifestDigest: manifest.digest };
}

describe('writeLayer', () => {
  it('names the blob by the digest of the gzip stream and records the digest of the tar inside', async () => {
    const layout = join(work, 'layout');
    const layer = await writeLayer(layout, await tree(join(work, 'root'), { 'app/x.js': 'x' }), 'app');
    const blob = await readFile(join(layout, blobPath(layer.digest)));
    expect(layer.digest).toBe(sha256(blob));
    expect(layer.size).toBe(blob.length);
    expect(layer.diffId).toBe(sha256(gunzipSync(blob)));
    expect(layer.mediaType).toBe(MEDIA_TYPES.layer);
  });

  it('archives sorted relative paths owned by root with mtime 0 and keeps modes', async () => {
    const layout = join(work, 'layout');
    const root = await tree(join(work, 'root'), { 'b/z': 'z', 'b/a': 'a', 'a/run': 'run' });
    await chmod(join(root, 'a/run'), 0o755);
    await mkdir(join(root, 'tmp'));
    await chmod(join(root, 'tmp'), 0o1777);
    const layer = await writeLayer(layout, root, 't');
    const listing = execFileSync('tar', ['-tvzf', join(layout, blobPath(layer.digest)), '--numeric-owner'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    const rows = listing.trim().split('\n');
    expect(rows.map((r) => r.split(/\s+/).at(-1))).toEqual(['a/', 'a/run', 'b/', 'b/a', 'b/z', 'tmp/']);
    for (const row of rows) expect(row).toMatch(/ 0\/0 .* 1970-01-01 00:00 /);
    expect(rows[1]).toMatch(/^-rwxr-xr-x /);
    expect(rows[5]).toMatch(/^drwxrwxrwt /);
  });

  it('gives the same digests for the same tree, whatever the files on disk were stamped with', async () => {
    const first = await writeLayer(join(work, 'l1'), await tree(join(work, 'r1'), { 'f/g': 'same' }), 'x');
    const r2 = await tree(join(work, 'r2'), { 'f/g': 'same' });
    await utimes(join(r2, 'f/g'), 1_000_000, 1_000_000);
    const second = await writeLayer(join(work, 'l2'), r2, 'x');
    expect(second.digest).toBe(first.digest);
    expect(second.diffId).toBe(first.diffId);
  });

  it('refuses an empty tree with a message naming the layer', async () => {
    await mkdir(join(work, 'empty'));
    await expect(writeLayer(join(work, 'layout'), join(work, 'empty'), 'app')).rejects.toThrow(
      /layer "app": .*empty/,
    );
  });
});

describe('image documents', () => {
  const layers: Layer[] = [
    { mediaType: MEDIA_TYPES.layer, digest: 'sha256:aa', size: 10, diffId: 'sha256:a0', comment: 'one' },
    { mediaType: MEDIA_TYPES.layer, digest: 'sha256:bb', size: 20, diffId: 'sha256:b0', comment: 'two' },
  ];

  it('config lists diff_ids bottom first and states user, entrypoint, env and working dir', () => {
    const config = imageConfig({ architecture: 'arm64', process: imageProcess('9.9.9'), layers });
    expect(config).toMatchObject({
      architecture: 'arm64',
      os: 'linux',
      config: {
        User: '65532:65532',
        Entrypoint: ['/usr/local/bin/node', '/app/bin/agent-stack-k8s.js'],
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        WorkingDir: '/app',
        Labels: { 'org.opencontainers.image.version': '9.9.9' },
      },
      rootfs: { type: 'layers', diff_ids: ['sha256:a0', 'sha256:b0'] },
      history: [{ comment: 'one' }, { comment: 'two' }],
    });
  });

  it('manifest holds plain descriptors: no diff_id or comment leaks into it', () => {
    const config = { mediaType: MEDIA_TYPES.config, digest: 'sha256:cc', size: 5 };
    expect(imageManifest(config, layers)).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config,
      layers: [
        { mediaType: MEDIA_TYPES.layer, digest: 'sha256:aa', size: 10 },
        { mediaType: MEDIA_TYPES.layer, digest: 'sha256:bb', size: 20 },
      ],
    });
  });

  it('index names the manifest by ref and platform', () => {
    const manifest = { mediaType: MEDIA_TYPES.manifest, digest: 'sha256:dd', size: 7 };
    expect(imageIndex(manifest, '0.1.0', 'amd64')).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [
        {
          ...manifest,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': '0.1.0' },
        },
      ],
    });
  });

  it('writeBlob sizes by bytes, not characters', async () => {
    const text = '{"name":"é"}';
    const blob = await writeBlob(work, MEDIA_TYPES.config, text);
    expect(blob.size).toBe(13);
    expect(await readFile(join(work, blobPath(blob.digest)), 'utf8')).toBe(text);
    expect(blob.digest).toBe(sha256(Buffer.from(text)));
  });

  it('accounts: root and the numeric non-root user, neither with a login shell', () => {
    const files = accountFiles({ name: 'nonroot', uid: 65532, gid: 65532 });
    expect(files.passwd.split('\n')).toContain(
      'nonroot:x:65532:65532:nonroot:/nonexistent:/usr/sbin/nologin',
    );
    expect(files.group.split('\n')).toContain('nonroot:x:65532:');
    expect(files.passwd.startsWith('root:x:0:0:')).toBe(true);
  });

  it('maps Node architectures to OCI names and has none for the rest', () => {
    expect(ociArchitecture('x64')).toBe('amd64');
    expect(ociArchitecture('arm64')).toBe('arm64');
    expect(ociArchitecture('ia32')).toBeUndefined();
  });
});

describe('layout archive', () => {
  it('reads back with every digest checked and applies layers in order', async () => {
    const { archive, layers, manifestDigest } = await tinyImage();
    const names = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
    expect(names.slice(0, 3)).toEqual(['oci-layout', 'index.json', 'manifest.json']);

    const image = await readLayoutArchive(archive, await mkdtemp(join(work, 'read-')));
    expect(image.manifestDigest).toBe(manifestDigest);
    expect(image.config.config.User).toBe('65532:65532');
    expect(image.layers.map((l) => l.diffId)).toEqual(layers.map((l) => l.diffId));

    const rootfs = await mkdtemp(join(work, 'rootfs-'));
    await applyLayers(image, rootfs);
    expect(await readFile(join(rootfs, 'etc/motd'), 'utf8')).toBe('two\n');
    expect(await readFile(join(rootfs, 'bin/tool'), 'utf8')).toBe('#!x\n');
  });

  it("is loadable by docker: manifest.json points at the config and layers' blobs", async () => {
    const { archive, layers } = await tinyImage();
    const dir = await mkdtemp(join(work, 'read-'));
    execFileSync('tar', ['-xf', archive, '-C', dir]);
    const [entry] = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(entry?.RepoTags).toEqual(['tiny:1.2.3']);
    expect(entry?.Layers).toEqual(layers.map((l) => blobPath(l.digest)));
    await expect(stat(join(dir, entry?.Config ?? 'missing'))).resolves.toBeTruthy();
  });

  it('refuses a layer blob whose content does not match its digest', async () => {
    const { archive, layers } = await tinyImage();
    const dir = await mkdtemp(join(work, 'tamper-'));
    execFileSync('tar', ['-xf', archive, '-C', dir]);
    await writeFile(join(dir, blobPath(layers[1]?.digest ?? '')), 'not the layer');
    const tampered = join(work, 'tampered.tar');
    execFileSync('tar', ['-cf', tampered, '-C', dir, '.']);
    await expect(readLayoutArchive(tampered, await mkdtemp(join(work, 'read-')))).rejects.toThrow(
      /layer sha256:[0-9a-f]{64}: blob has digest/,
    );
  });

  it('refuses a layer whose tar does not match the diff_id in the config', async () => {
    const { archive } = await tinyImage();
    const image = await readLayoutArchive(archive, await mkdtemp(join(work, 'read-')));
    const [first, second] = image.layers;
    if (!first || !second) throw new Error('tiny image has two layers');
    const swapped = { ...image, layers: [{ path: first.path, diffId: second.diffId }] };
    await expect(applyLayers(swapped, await mkdtemp(join(work, 'rootfs-')))).rejects.toThrow(
      /diff_id sha256:/,
    );
  });
});
