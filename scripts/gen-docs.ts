/** Writes the generated references under docs/. */
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/config/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationReference());
