// The one catch: every error becomes a message and an exit code here, nowhere else.
import { buildProgram } from './cli.js';
import { exitCodeFor, exitQuietlyOnEpipe, printError } from './output.js';

exitQuietlyOnEpipe();

try {
  await (await buildProgram(process.argv)).parseAsync(process.argv);
} catch (error) {
  printError(error);
  process.exitCode = exitCodeFor(error);
}
