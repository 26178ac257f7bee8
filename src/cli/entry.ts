/** Process entry: runs the CLI with the process arguments and leaves its status as the exit code. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
