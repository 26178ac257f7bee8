/**
 * `npm run image [-- --output <file>]`: builds the controller's container image without a container
 * daemon, as an OCI image layout tarball (also loadable by `docker load`). Layers, bottom up: Debian's
 * shared libraries with /etc/passwd and /tmp; the Node runtime; the app.
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCommand } from './command.js';
import {
  MEDIA_TYPES,
  accountFiles,
  imageConfig,
  imageManifest,
  ociArchitecture,
  writeBlob,
  writeLayer,
  writeLayoutArchive,
} from './oci.js';
import {
  APP_DIR,
  DEBIAN_PACKAGES,
  NODE_PATH,
  RUNTIME_USER,
  imageProcess,
  pinnedNodeVersion,
} from './recipe.js';
import { extractDebianPackages, fetchDebianPackages, fetchNodePackage, stageApp } from './sources.js';

const projectDir = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = join(homedir(), '.cache', 'agent-stack-k8s', 'image');

try {
  const { values } = parseArgs({
    options: {
      output: { type: 'string', default: join(projectDir, 'build', 'image', 'agent-stack-k8s-oci.tar') },
    },
  });
  await build(resolve(values.output));
} catch (error) {
  // Every step is required; say which one failed (or which argument is wrong) and stop.
  console.error(`image: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

async function build(output: string): Promise<void> {
  const architecture = ociArchitecture(process.arch);
  if (!architecture) throw new Error(`no image for this machine's architecture (${process.arch})`);
  const nodeVersion = pinnedNodeVersion();
  const { version } = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  // Modes in the layers come from the staging trees; don't let a loose umask make files writable.
  process.umask(0o022);

  const work = await mkdtemp(join(tmpdir(), 'agent-stack-k8s-image-'));
  try {
    const layoutDir = join(work, 'layout');
    const layers = [];

    step(`Debian packages: ${DEBIAN_PACKAGES.join(', ')}`);
    const system = join(work, 'system');
    await extractDebianPackages(await fetchDebianPackages({ packages: DEBIAN_PACKAGES, cacheDir }), system);
    const accounts = accountFiles(RUNTIME_USER);
    await mkdir(join(system, 'etc'), { recursive: true });
    await writeFile(join(system, 'etc', 'passwd'), accounts.passwd);
    await writeFile(join(system, 'etc', 'group'), accounts.group);
    await mkdir(join(system, 'tmp'));
    await chmod(join(system, 'tmp'), 0o1777);
    layers.push(await writeLayer(layoutDir, system, `${DEBIAN_PACKAGES.join(' ')}, accounts, /tmp`));

    step(`Node.js ${nodeVersion}`);
    const nodeTgz = await fetchNodePackage({ version: nodeVersion, nodeArch: process.arch, cacheDir });
    const unpacked = join(work, 'node-package');
    await mkdir(unpacked);
    await runCommand('tar', ['-xzf', nodeTgz, '-C', unpacked, 'package/bin/node', 'package/LICENSE']);
    const runtime = join(work, 'runtime');
    await copyInto(join(unpacked, 'package', 'bin', 'node'), join(runtime, NODE_PATH));
    await copyInto(join(unpacked, 'package', 'LICENSE'), join(runtime, 'usr/local/share/doc/node/LICENSE'));
    layers.push(await writeLayer(layoutDir, runtime, `node ${nodeVersion}`));

    step('app: compile and production dependencies');
    const app = join(work, 'app');
    await stageApp({ projectDir, appDir: join(app, APP_DIR) });
    layers.push(await writeLayer(layoutDir, app, `agent-stack-k8s ${version}`));

    const config = await writeBlob(
      layoutDir,
      MEDIA_TYPES.config,
      JSON.stringify(imageConfig({ architecture, process: imageProcess(version), layers })),
    );
    const manifest = await writeBlob(
      layoutDir,
      MEDIA_TYPES.manifest,
      JSON.stringify(imageManifest(config, layers)),
    );
    await mkdir(dirname(output), { recursive: true });
    await writeLayoutArchive({
      layoutDir,
      manifest,
      config,
      layers,
      refName: version,
      repoTag: `agent-stack-k8s:${version}`,
      architecture,
      output,
    });
    const { size } = await stat(output);
    console.log(`${output}\n  digest ${manifest.digest}\n  size   ${String(size)} bytes`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function copyInto(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to); // keeps the mode: node stays executable
}

function step(what: string): void {
  console.log(`image: ${what}`);
}
