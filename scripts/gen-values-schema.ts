/** Writes charts/agent-stack-k8s/values.schema.json from the option table (run by `npm run docs`). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { helmValuesSchema } from '../src/config/values-schema.js';

const target = fileURLToPath(new URL('../charts/agent-stack-k8s/values.schema.json', import.meta.url));
const options = (await resolveConfig(target)) ?? {};
writeFileSync(target, await format(JSON.stringify(helmValuesSchema()), { ...options, parser: 'json' }));
process.stdout.write(`wrote ${target}\n`);
