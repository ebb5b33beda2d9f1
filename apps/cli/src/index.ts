// Entry point: refuse an old Node with a clear message before loading anything that needs a new one.
import module from 'node:module';

declare const __HABITAT_VERSION__: string;

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `habitat needs Node.js 22 or newer (this is ${process.version}). Run \`bash scripts/setup.sh\` and \`source scripts/env.sh\` in the habitat checkout, or install Node 24 LTS.\n`,
  );
  process.exit(2);
}
// Compiled code is cached on disk (NODE_COMPILE_CACHE picks the directory, NODE_DISABLE_COMPILE_CACHE=1 turns
// it off): the second start of a command skips most of V8's parsing.
module.enableCompileCache?.();

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered before anything else loads: scripts call it to check an install.
  process.stdout.write(`${__HABITAT_VERSION__}\n`);
} else {
  await import('./main.js');
}
