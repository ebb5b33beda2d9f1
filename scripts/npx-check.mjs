// `npx @habitat/cli --help` exactly as the README says, before anything is published: the packed tarballs are
// served as the @habitat scope's registry on loopback (npm's per-scope registry setting), every other package
// comes from the usual registry, and npx runs with an empty cache in an empty directory, as on a new machine.
//
//   node scripts/npx-check.mjs <dir with habitat-*.tgz>
//
// Exits non-zero (with npx's output) if the documented invocation does not print the CLI's help and version.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '.');
/** name -> { manifest, file, bytes } for each packed tarball */
const packages = new Map();
for (const file of readdirSync(dir).filter((f) => /^habitat-.*\.tgz$/.test(f))) {
  const full = path.join(dir, file);
  const manifest = JSON.parse(execFileSync('tar', ['xzOf', full, 'package/package.json'], { encoding: 'utf8' }));
  packages.set(manifest.name, { manifest, file, bytes: readFileSync(full) });
}
if (!packages.has('@habitat/cli')) {
  console.error(`npx-check: no habitat-cli-*.tgz in ${dir}`);
  process.exit(2);
}

const server = createServer((req, res) => {
  const url = decodeURIComponent(req.url ?? '/');
  const tarball = /^\/tarballs\/(.+\.tgz)$/.exec(url);
  if (tarball) {
    const pkg = [...packages.values()].find((p) => p.file === tarball[1]);
    if (!pkg) return res.writeHead(404).end();
    return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(pkg.bytes);
  }
  // a packument: GET /@habitat/<name> (npm escapes the slash as %2f)
  const pkg = packages.get(url.slice(1));
  if (!pkg) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  const { version } = pkg.manifest;
  const { port } = server.address();
  const integrity = `sha512-${createHash('sha512').update(pkg.bytes).digest('base64')}`;
  const shasum = createHash('sha1').update(pkg.bytes).digest('hex');
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      name: pkg.manifest.name,
      'dist-tags': { latest: version },
      versions: {
        [version]: {
          ...pkg.manifest,
          dist: { tarball: `http://127.0.0.1:${port}/tarballs/${pkg.file}`, integrity, shasum },
        },
      },
    }),
  );
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

/** A command's exit status and output, without blocking the registry's event loop. */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'habitat-npx-'));
let failed = false;
try {
  const env = {
    ...process.env,
    npm_config_cache: path.join(work, 'npm-cache'),
    [`npm_config_@habitat:registry`]: `http://127.0.0.1:${port}/`,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  const version = packages.get('@habitat/cli').manifest.version;
  for (const [args, want] of [
    [['--yes', '@habitat/cli', '--help'], /^Usage: habitat /m],
    [['--yes', '@habitat/cli', '--version'], new RegExp(`^${version.replace(/\./g, '\\.')}$`, 'm')],
    // real commands through npx: a coordinator, and SQLite (better-sqlite3's addon, built or fetched by npm)
    [['--yes', '@habitat/cli', 'init', 'fleet'], /wrote habitat\.yaml/],
    [['--yes', '@habitat/cli', '-C', 'fleet', 'sessions', 'index', '--no-defaults', '--json'], /"files":0,/],
  ]) {
    const started = Date.now();
    // async: this process is the registry npx asks
    const out = await run('npx', args, { cwd: work, env });
    const ok = out.status === 0 && want.test(out.stdout);
    console.error(`npx-check: npx ${args.slice(1).join(' ')}: ${ok ? 'ok' : 'FAILED'} (${Date.now() - started} ms)`);
    if (!ok) {
      failed = true;
      process.stderr.write(`${out.stdout}\n${out.stderr}\n`);
    }
  }
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
