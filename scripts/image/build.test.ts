import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const projectDir = fileURLToPath(new URL('../..', import.meta.url));

it('refuses an unknown argument with one line naming it, before building anything', async () => {
  const run = promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/image/build.ts', '--outptu', '/tmp/x.tar'],
    { cwd: projectDir },
  );
  await expect(run).rejects.toMatchObject({
    code: 1,
    stdout: '',
    stderr: expect.stringMatching(/^image: Unknown option '--outptu'/) as unknown,
  });
});
