/** Writes docs/kubernetes-plugin.schema.json from the shape registry (run: `npx tsx scripts/gen-plugin-schema.ts`). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { kubernetesPluginSchema } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('../docs/kubernetes-plugin.schema.json', import.meta.url));
const options = (await resolveConfig(target)) ?? {};
writeFileSync(target, await format(JSON.stringify(kubernetesPluginSchema()), { ...options, parser: 'json' }));
process.stdout.write(`wrote ${target}\n`);
