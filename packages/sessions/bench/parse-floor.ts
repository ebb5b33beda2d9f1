/**
 * The parse floor every cold-index figure is measured against: read every `.jsonl` file under a directory and
 * `JSON.parse` each non-empty line, nothing else. One definition, shared by `compare.ts` and `cold-bound.ts`, so the
 * "x the floor" figures of both mean the same thing.
 */
import { spawnSync } from 'node:child_process';

/** The floor as a `node -e` script (CommonJS, no imports of ours: what any tool that reads the logs must pay). */
export function parseFloorScript(corpus: string): string {
  return `const fs=require('fs'),p=require('path');let n=0;const walk=d=>{for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);if(e.isDirectory())walk(f);else if(f.endsWith('.jsonl'))for(const l of fs.readFileSync(f,'utf8').split('\\n'))if(l){JSON.parse(l);n++}}};walk(${JSON.stringify(corpus)});`;
}

/** One run of the floor in its own process: wall ms, CPU ms (user + sys, GNU time's %U %S) and peak RSS in MB. */
export function runParseFloor(corpus: string): { ms: number; cpuMs: number; rssMB: number } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, '-e', parseFloorScript(corpus)], {
    encoding: 'utf8',
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`parse floor over ${corpus}: ${r.stderr}`);
  const [user, sys, rss] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return {
    ms: Math.round(ms),
    cpuMs: Math.round(((user ?? 0) + (sys ?? 0)) * 1000),
    rssMB: Math.round((rss ?? 0) / 1024),
  };
}
