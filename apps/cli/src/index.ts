// Entry point: refuse an old Node with a clear message before loading anything that needs a new one.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `habitat needs Node.js 22 or newer (this is ${process.version}). Run \`bash scripts/setup.sh\` and \`source scripts/env.sh\` in the habitat checkout, or install Node 24 LTS.\n`,
  );
  process.exit(2);
}
await import('./main.js');

export {};
