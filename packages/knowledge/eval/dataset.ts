// The labelled evaluation set: engineering lessons across many topics and projects, and questions phrased
// the way a person (or an agent) would ask them, with the ids of the lessons that answer each.
// Deterministic: `node eval/dataset.ts` rewrites eval/dataset.json.
import { writeFileSync } from 'node:fs';

interface Template {
  topic: string;
  /** the lesson, as someone would write it down */
  lesson: string;
  /** a question that needs it, in other words */
  question: string;
}

const T: Template[] = [
  {
    topic: 'postgres',
    lesson:
      '{svc} Postgres connections run out under load: put PgBouncer in transaction mode in front and cap the pool at {n}.',
    question: 'why does {svc} hit too many database clients when traffic spikes',
  },
  {
    topic: 'postgres',
    lesson:
      'Migrations on {svc} lock the orders table; add columns as nullable first and backfill in batches of {n}k rows.',
    question: 'how to alter a big table in {svc} without blocking writes',
  },
  {
    topic: 'redis',
    lesson:
      '{svc} workers lose queued jobs when Redis evicts keys; set maxmemory-policy to noeviction on the queue instance.',
    question: '{svc} background tasks disappear from the queue randomly',
  },
  {
    topic: 'redis',
    lesson:
      'Cache stampedes on {svc} after deploys: add {n}s of jitter to TTLs and use a lock around recomputation.',
    question: 'thundering herd on {svc} cache when entries expire together',
  },
  {
    topic: 'docker',
    lesson:
      'The {svc} image build is slow because COPY . invalidates the layer cache; copy the lockfile and install dependencies before copying sources.',
    question: 'speed up {svc} container builds that reinstall packages every time',
  },
  {
    topic: 'docker',
    lesson:
      'Containers for {svc} get OOM-killed at {n}00 MB; the JVM ignores cgroup limits unless MaxRAMPercentage is set.',
    question: '{svc} pods killed for memory although heap looks small',
  },
  {
    topic: 'kubernetes',
    lesson:
      '{svc} readiness probe fails during warm-up; raise initialDelaySeconds to {n}0 or the rollout never completes.',
    question: 'deployment of {svc} stuck because health checks fail at startup',
  },
  {
    topic: 'ci',
    lesson:
      'CI for {svc} flakes on the integration suite because tests share one database; give each worker its own schema.',
    question: 'random test failures in {svc} pipeline when running in parallel',
  },
  {
    topic: 'ci',
    lesson:
      'The {svc} pipeline spends {n} minutes restoring node_modules; cache the pnpm store keyed by the lockfile hash instead.',
    question: 'make {svc} builds faster by caching dependencies properly',
  },
  {
    topic: 'git',
    lesson: 'Rebasing {svc} release branches rewrites signed tags; merge main into release branches instead.',
    question: 'signatures broken on {svc} tags after updating the release branch',
  },
  {
    topic: 'api',
    lesson:
      'The {svc} upstream API returns x-rate-limit-remaining; when it drops below {n}, sleep until x-rate-limit-reset instead of retrying.',
    question: 'what to do when {svc} requests start getting throttled',
  },
  {
    topic: 'api',
    lesson:
      '{svc} pagination by timestamp skips records written late; page with the since_id cursor instead.',
    question: 'missing items when paging through {svc} results',
  },
  {
    topic: 'auth',
    lesson:
      'OAuth refresh for {svc} fails after {n} days because the refresh token rotates; store the new one from every refresh response.',
    question: '{svc} login session expires and refreshing credentials stops working',
  },
  {
    topic: 'auth',
    lesson:
      'Clock skew of more than {n} seconds makes {svc} reject JWTs as not yet valid; run chrony on the hosts.',
    question: 'tokens refused by {svc} with nbf errors on some machines',
  },
  {
    topic: 'tls',
    lesson:
      'The {svc} client fails TLS behind the corporate proxy; point NODE_EXTRA_CA_CERTS at the proxy root certificate.',
    question: 'certificate errors when {svc} calls out through the proxy',
  },
  {
    topic: 'dns',
    lesson:
      '{svc} resolves stale addresses after failover because the JVM caches DNS forever; set networkaddress.cache.ttl to {n}.',
    question: '{svc} keeps connecting to the old server after a switch over',
  },
  {
    topic: 'logging',
    lesson:
      '{svc} logs fill the disk in {n} hours at debug level; ship them to the collector and rotate locally at 100 MB.',
    question: 'disk full on {svc} hosts because of log files',
  },
  {
    topic: 'monitoring',
    lesson:
      'Alert fatigue on {svc}: page only on SLO burn rate over {n}x, send everything else to a ticket queue.',
    question: 'too many noisy pages from {svc} alerts at night',
  },
  {
    topic: 'performance',
    lesson:
      'The {svc} endpoint does an N+1 query per item; batch the lookups with a single IN query of up to {n}00 ids.',
    question: '{svc} list page slow because of one database call per row',
  },
  {
    topic: 'performance',
    lesson:
      'JSON serialisation dominates {svc} CPU; switch the hot path to a streaming encoder and pre-size buffers.',
    question: 'profiling shows {svc} spending its time encoding responses',
  },
  {
    topic: 'frontend',
    lesson:
      'The {svc} bundle grew to {n} MB because the date library ships every locale; import only the locales in use.',
    question: 'why is the {svc} javascript download so large',
  },
  {
    topic: 'frontend',
    lesson:
      'Hydration mismatches in {svc} come from rendering the current time on the server; render it on the client only.',
    question: '{svc} react warning text content did not match server',
  },
  {
    topic: 'python',
    lesson:
      '{svc} tests pass locally but fail in CI because of different dict ordering in an old Python; pin Python {n} in CI.',
    question: 'tests for {svc} behave differently on the build server',
  },
  {
    topic: 'node',
    lesson:
      'The {svc} process leaks memory through an EventEmitter that adds a listener per request; remove it in the finally block.',
    question: 'memory of the {svc} node service keeps growing until restart',
  },
  {
    topic: 'agents',
    lesson:
      'The {svc} agent loops on the same failing command; cap its turns at {n} and write a wake time instead of retrying.',
    question: 'the {svc} agent keeps retrying forever and burns tokens',
  },
  {
    topic: 'agents',
    lesson:
      'Claude Code in the {svc} habitat refuses --dangerously-skip-permissions as root; run the container as uid 1000.',
    question: 'claude will not start in the {svc} container with permission bypass',
  },
  {
    topic: 'backups',
    lesson:
      'Restores of {svc} failed because backups skipped the uploads bucket; the restore drill now runs every {n} weeks.',
    question: 'files missing after restoring {svc} from backup',
  },
  {
    topic: 'cost',
    lesson:
      '{svc} egress costs doubled because logs were shipped cross-region; keep the collector in the same region.',
    question: 'why did the network bill for {svc} go up',
  },
  {
    topic: 'search',
    lesson: 'Reindexing {svc} takes {n}0 minutes and blocks writes; build a new index and swap the alias.',
    question: 'update {svc} search mappings without downtime',
  },
  {
    topic: 'email',
    lesson:
      '{svc} messages land in spam since the new relay; add its IP to the SPF record and sign with DKIM.',
    question: 'customers say {svc} notifications go to junk folder',
  },
];

const SERVICES = ['billing', 'checkout', 'ledger', 'feed', 'search-api', 'uploads', 'notifier', 'reports'];

function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const random = rng(42);
const learnings: { id: string; title: string; body: string; tags: string[]; project: string }[] = [];
const queries: { query: string; relevant: string[] }[] = [];
let q = 0;
T.forEach((t, ti) => {
  // Each template appears for 7 services: 30 x 7 = 210 learnings.
  const services = [...SERVICES].sort(() => random() - 0.5).slice(0, 7);
  services.forEach((svc, si) => {
    const n = 2 + Math.floor(random() * 8);
    const body = t.lesson.replaceAll('{svc}', svc).replaceAll('{n}', String(n));
    const id = `e${ti}-${si}`;
    learnings.push({ id, title: body.split(/[;:.]/)[0]!.trim(), body, tags: [t.topic], project: svc });
    // About one question in four, phrased differently from the lesson.
    if ((ti + si) % 4 === 0) {
      queries.push({ query: t.question.replaceAll('{svc}', svc), relevant: [id] });
      q++;
    }
  });
});

writeFileSync(
  new URL('./dataset.json', import.meta.url),
  `${JSON.stringify({ learnings, queries }, null, 1)}\n`,
);
console.log(`${learnings.length} learnings, ${q} queries`);
