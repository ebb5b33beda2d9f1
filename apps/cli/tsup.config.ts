import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';
import { OUTSIDE_RUN_FAST_PATH } from './src/run-fast-stub.js';

/**
 * One bundle instead of ~250-400 modules: more than half of a command's start-up went to Node resolving and
 * reading module files. The workspace libraries are bundled from their sources, so esbuild keeps only the
 * modules a command reaches (the packages are `sideEffects: false`), and each command family is its own
 * chunk, loaded when its command runs.
 *
 * Left external, resolved from node_modules at run time: native addons, and big libraries only a few commands
 * use (Docker, MCP, secretlint, pino, file watching) — they load when those commands import them.
 */
const EXTERNAL = [
  'better-sqlite3',
  // ssh2 (dockerode's ssh:// transport, an optional peer dependency) has optional native parts; dockerode is bundled
  'ssh2',
  'cpu-features',
  '@modelcontextprotocol/sdk',
  '@secretlint/[^/]+',
  'pino',
  'pino-pretty',
  'chokidar',
  '@habitat/tui',
  '@habitat/testkit',
];
/** Everything else is bundled (tsup would leave every dependency external); `node:` built-ins stay imports. */
const BUNDLED = new RegExp(`^(?!(node:|(${EXTERNAL.join('|')})(/|$)))`);
const UNBUNDLED = new RegExp(`^(${EXTERNAL.join('|')})(/|$)`);

const WORKSPACE = ['config', 'runner', 'scheduler', 'sessions', 'knowledge'];
const packagesDir = path.resolve(import.meta.dirname, '../../packages');
const sourceOf = (lib: string, module = 'index') => path.join(packagesDir, lib, 'src', `${module}.ts`);

/** `export { a, b as c } from './m.js'` lines of a package index: exported name -> [module, name in it]. */
function barrelMap(lib: string): Map<string, [string, string]> {
  const map = new Map<string, [string, string]>();
  const text = readFileSync(sourceOf(lib), 'utf8');
  for (const m of text.matchAll(/export\s+\{([^}]*)\}\s+from\s+'\.\/([^']+)\.js';/g)) {
    for (const spec of m[1]!.split(',')) {
      const [name, alias] = spec
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      if (name) map.set(alias ?? name, [m[2]!, name]);
    }
  }
  return map;
}

/**
 * `import { a, b } from '@habitat/lib'` -> one import per module the names come from. esbuild's code splitting
 * follows every `export ... from` of a package index, so one static import of an index would put every module
 * of that package that any command uses (the daemon, the indexer, MCP) into the chunk: per-module imports keep
 * each command's chunks to what it uses. Names the index does not re-export stay on the index.
 */
function splitBarrelImports(code: string): string {
  return code.replace(
    /import\s+\{([^}]*)\}\s+from\s+'@habitat\/([a-z]+)';/g,
    (whole, specs: string, lib: string) => {
      if (!WORKSPACE.includes(lib)) return whole;
      const map = barrelMap(lib);
      const byModule = new Map<string, string[]>();
      for (const raw of specs.split(',')) {
        const spec = raw.trim();
        if (!spec || spec.startsWith('type ')) continue; // types are erased
        const [name, alias] = spec.split(/\s+as\s+/) as [string, string | undefined];
        const [module, original] = map.get(name) ?? ['index', name];
        const list = byModule.get(module) ?? [];
        list.push(original === (alias ?? name) ? original : `${original} as ${alias ?? name}`);
        byModule.set(module, list);
      }
      return [...byModule]
        .map(
          ([module, names]) =>
            `import { ${names.join(', ')} } from ${JSON.stringify(sourceOf(lib, module))};`,
        )
        .join(' ');
    },
  );
}

/**
 * `const { a, b } = await import('@habitat/lib')` -> the modules a and b come from. A dynamic import of a package
 * index would load the whole package (for `list`, the scheduler's daemon and chokidar to read one table).
 */
function splitDynamicBarrelImports(code: string): string {
  return code.replace(
    /\{([^{}]*)\}\s*=\s*await\s+import\('@habitat\/([a-z]+)'\)/g,
    (whole, specs: string, lib: string) => {
      if (!WORKSPACE.includes(lib)) return whole;
      const map = barrelMap(lib);
      const modules = new Set<string>();
      for (const raw of specs.split(',')) {
        const name = raw.split(':')[0]!.trim();
        const [module, original] = map.get(name) ?? ['index', name];
        if (original !== name) return whole; // renamed by the index: keep the index
        if (name) modules.add(module);
      }
      const imports = [...modules].map((m) => `...(await import(${JSON.stringify(sourceOf(lib, m))}))`);
      return `{${specs}} = { ${imports.join(', ')} }`;
    },
  );
}

/**
 * dockerode loads gRPC and protobuf at start for one feature, BuildKit sessions (buildImage with version 2),
 * which habitat never uses; evaluating them was most of a Docker run's CPU (~130 ms, plus garbage collection).
 * In the bundle its `./session` module is a stub that says so if it is ever called.
 */
const dockerodeWithoutBuildkit: Plugin = {
  name: 'dockerode-without-buildkit',
  setup(build) {
    build.onResolve({ filter: /^\.\/session$/ }, (args) =>
      /[/\\]dockerode[/\\]lib$/.test(args.resolveDir)
        ? { path: 'dockerode-session', namespace: 'stub' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents:
        "module.exports = function withSession() { throw new Error('BuildKit sessions are not available in the habitat CLI bundle'); };",
      loader: 'js',
    }));
  },
};

/**
 * docker-modem requires its ssh:// transport (and with it ssh2: its crypto, zlib and protocol tables, ~40 ms of
 * CPU) when it loads, for every engine address. In the bundle `./ssh` is a wrapper that loads the real module
 * on its first call: only an ssh:// DOCKER_HOST pays for ssh2.
 */
const dockerModemLazySsh: Plugin = {
  name: 'docker-modem-lazy-ssh',
  setup(build) {
    build.onResolve({ filter: /^\.\/ssh$/ }, (args) =>
      /[/\\]docker-modem[/\\]lib$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, 'ssh.js'), namespace: 'lazy-ssh' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-ssh' }, (args) => ({
      // a require of the real file's absolute path, inside the function: esbuild runs it on the first call.
      // ssh2 is an optional peer dependency (it and its cpu-features have install scripts): missing, say so.
      contents: `module.exports = function (opt) {
        let ssh;
        try { ssh = require(${JSON.stringify(args.path)}); } catch (error) {
          if (error && error.code === 'MODULE_NOT_FOUND' && /ssh2/.test(String(error.message)))
            throw new Error('DOCKER_HOST is an ssh:// address, which needs the ssh2 package: install it next to habitat (npm install -g ssh2 for a global install, npm install ssh2 in the project that has @habitat/cli)');
          throw error;
        }
        return ssh(opt);
      };`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/** The workspace libraries from their TypeScript sources, with per-module imports (see splitBarrelImports). */
const workspaceSources: Plugin = {
  name: 'habitat-workspace-sources',
  setup(build) {
    // `@habitat/config/core` too: a subpath from its dist would bring a second copy of classes such as HabitatError
    build.onResolve({ filter: /^@habitat\/[a-z]+(?:\/[a-z]+)?$/ }, (args) => {
      const [lib, sub] = args.path.slice('@habitat/'.length).split('/') as [string, string | undefined];
      if (!WORKSPACE.includes(lib)) return undefined;
      return { path: sourceOf(lib, sub), sideEffects: false };
    });
    build.onLoad({ filter: /[/\\](packages[/\\][a-z]+|apps[/\\]cli)[/\\]src[/\\].*\.ts$/ }, (args) => ({
      contents: splitDynamicBarrelImports(splitBarrelImports(readFileSync(args.path, 'utf8'))),
      loader: 'ts',
    }));
  },
};

/**
 * `habitat knowledge search|context` run before every agent task, so their start-up is what people feel: the
 * fast path (knowledge-fast.ts) is built a second time on its own, unsplit, into dist/fast/knowledge.js, which
 * the entry imports instead of the split build's copy. One file instead of ~20 chunks was ~10 ms of CPU of ~95.
 * Modules it reaches only in cases it hands to the full CLI (validating habitat.yaml: YAML and zod; reading a
 * hand-edited file; embeddings) are stubs there that fail when loaded, which the fast path treats as "not mine".
 */
const FAST_STUBS = [
  path.join(packagesDir, 'config', 'src', 'load.ts'),
  path.join(packagesDir, 'knowledge', 'src', 'files.ts'),
  path.join(packagesDir, 'knowledge', 'src', 'embeddings.ts'),
];
const fastStubs: Plugin = {
  name: 'habitat-fast-stubs',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) =>
      FAST_STUBS.includes(args.path)
        ? {
            contents: `throw new Error('${path.basename(args.path)} is not part of the knowledge fast path');`,
            loader: 'ts',
          }
        : undefined,
    );
  },
};
/**
 * `habitat run <agent>` (run-fast.ts) the same way, into dist/fast/run.js: one file instead of ~30 chunks. Its
 * stubs: the full config load (YAML and zod, only when the config snapshot does not hold: run-fast hands the
 * command to the full CLI before doing anything), and dockerode (run-fast hands over every run that would use it:
 * Swarm, a tcp:// or ssh:// DOCKER_HOST, HABITAT_DOCKER_CLIENT=dockerode).
 */
const RUN_STUBS: Record<string, string> = {
  [path.join(packagesDir, 'config', 'src', 'load.ts')]: 'load.ts',
};
/** A stub module: it throws the error run-fast.ts knows by its code (src/run-fast-stub.ts). */
const stubError = (module: string | undefined) =>
  `throw Object.assign(new Error(${JSON.stringify(`${module} is not part of the run fast path`)}), { code: ${JSON.stringify(OUTSIDE_RUN_FAST_PATH)} });`;
const runStubs: Plugin = {
  name: 'habitat-run-fast-stubs',
  setup(build) {
    // the knowledge layers around a run (a brief before, learnings after: knowledge, sessions, YAML, zod,
    // secretlint) stay in the split build, entries with fixed names, loaded only by the agents that use them
    build.onResolve({ filter: /^\.\/(layers|run-learnings)\.js$/ }, (args) =>
      /[/\\]src[/\\]commands$/.test(args.resolveDir)
        ? { path: `../${args.path.slice(2)}`, external: true }
        : undefined,
    );
    build.onResolve({ filter: /^dockerode$/ }, () => ({ path: 'dockerode', namespace: 'run-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'run-stub' }, (args) => ({
      contents: stubError(args.path),
      loader: 'js',
    }));
    build.onLoad({ filter: /\.ts$/ }, (args) =>
      RUN_STUBS[args.path]
        ? {
            contents: stubError(RUN_STUBS[args.path]),
            loader: 'ts',
          }
        : undefined,
    );
  },
};
/** In the split build, the entry's imports of the fast paths are the separately built files. */
const fastExternal: Plugin = {
  name: 'habitat-fast-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\/(knowledge|sessions|run)-fast\.js$/ }, (args) => ({
      path: `./fast/${args.path.match(/(knowledge|sessions|run)-fast/)![1]}.js`,
      external: true,
    }));
  },
};

const version = (
  JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * One id for this build, in both bundles: the config snapshot is keyed by the code that wrote it (snapshot.ts),
 * and the fast path must read the snapshot the full CLI wrote.
 */
const buildId = `${version}:${Date.now()}`;

const common = {
  format: ['esm'],
  sourcemap: true,
  target: 'node22',
  bundle: true,
  noExternal: [BUNDLED],
  external: [UNBUNDLED],
  // Bundled CommonJS (commander, yaml, cli-table3) calls require() for Node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __habitatRequire } from 'node:module';\nconst require = __habitatRequire(import.meta.url);",
  },
  metafile: true,
  define: { __HABITAT_BUILD_ID__: JSON.stringify(buildId) },
} satisfies Options;

export default defineConfig([
  {
    ...common,
    // `sessions list|search|stats` the same way (sessions-fast.ts): 48-57 modules and better-sqlite3 -> one file
    entry: { knowledge: 'src/commands/knowledge-fast.ts', sessions: 'src/commands/sessions-fast.ts' },
    outDir: 'dist/fast',
    // a module of the entry's, not a command: no #! line
    banner: { js: common.banner.js.replace(/^#!.*\n/, '') },
    splitting: false,
    // dist/fast/run.js is the next build's
    clean: ['**', '!run.js*'],
    // the stubs' onLoad runs before the workspace sources' (first plugin to answer wins)
    esbuildPlugins: [fastStubs, workspaceSources],
  },
  {
    ...common,
    entry: { run: 'src/commands/run-fast.ts' },
    outDir: 'dist/fast',
    banner: { js: common.banner.js.replace(/^#!.*\n/, '') },
    splitting: false,
    clean: false,
    metafile: false,
    // run-fast.ts hands over what needs dockerode only in this build (the split build's copy has it)
    define: { ...common.define, __HABITAT_RUN_ONE_FILE__: 'true' },
    esbuildPlugins: [runStubs, workspaceSources],
  },
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      // the sessions indexer's parser thread, found beside the chunk that starts it (`new URL('./parse-worker.js')`)
      'parse-worker': sourceOf('sessions', 'parse-worker'),
      // the knowledge index's reader threads of a large first build (`new URL('./learning-reader.js')`)
      'learning-reader': sourceOf('knowledge', 'learning-reader'),
      // what dist/fast/run.js imports from here (`../layers.js`): fixed names, not chunk hashes
      layers: 'src/commands/layers.ts',
      'run-learnings': 'src/commands/run-learnings.ts',
      // the run fast path with dockerode, for the runs dist/fast/run.js hands over (index.ts)
      'run-split': 'src/commands/run-fast.ts',
    },
    // dist/fast is the other build's
    clean: ['!fast/**'],
    splitting: true,
    esbuildPlugins: [fastExternal, workspaceSources, dockerodeWithoutBuildkit, dockerModemLazySsh],
    define: { ...common.define, __HABITAT_VERSION__: JSON.stringify(version) },
    // `habitat --help` lists every command, which means loading every command family; the text is fixed at
    // build time, so the build prints it once into dist/help.txt (80 columns, no colour) and the entry serves it.
    async onSuccess() {
      const dist = path.join(import.meta.dirname, 'dist');
      const out = spawnSync(process.execPath, [path.join(dist, 'index.js'), '--help'], {
        encoding: 'utf8',
        env: { ...process.env, HABITAT_FULL_HELP: '1', NO_COLOR: '1', FORCE_COLOR: '0', COLUMNS: '80' },
      });
      if (out.status !== 0) throw new Error(`habitat --help failed while building help.txt: ${out.stderr}`);
      writeFileSync(path.join(dist, 'help.txt'), out.stdout);
    },
  },
]);
