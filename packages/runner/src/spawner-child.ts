// The spawner process's program (plain CommonJS, run as `node -e`; no file to ship beside a bundle). It makes
// a local run's output FIFOs and forks its wrapper, so the coordinator never forks: a fork copies the page
// tables of the whole forking process (~2 ms for this ~40 MiB process, 4-9 ms for a 110-200 MiB daemon under
// load) and blocks that process's event loop meanwhile (scheduler bench/README.md).
//
// Messages in (the coordinator, over the IPC channel):
//   { op: 'start', id, runDir, command, args, cwd, env, stdin?, uid?, gid? }
//   { op: 'attached', id }   the coordinator has the FIFOs' read ends open: ours can go
//   { op: 'remove', id, paths }   remove these (a finished run's dir): the coordinator's loop does not walk them
// Messages out:
//   { op: 'spawned', id, pid } | { op: 'error', id, code, message } | { op: 'nofifo', id } | { op: 'exit', id, code, signal }
//   { op: 'removed', id }
//
// Until 'attached', a read end of each FIFO stays open here: a run that ends before the coordinator opened
// its own would otherwise take its output with it (a pipe's buffer goes when its last end closes).
// The runs are detached (their own session) and survive this process; when the coordinator's channel closes
// (it exited or was killed) this process exits at once, and its runs are re-parented as they would be from
// the coordinator itself.
export const SPAWNER_SOURCE = `
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { O_RDONLY, O_WRONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
process.title = 'habitat-spawner';
const held = new Map();
const send = (m) => { if (process.connected) process.send(m); };
const closeAll = (fds) => { for (const fd of fds) { try { fs.closeSync(fd); } catch {} } };
process.on('disconnect', () => process.exit(0));
// A terminal's ^C or a service manager's TERM for the whole group is for the coordinator, which stops its
// runs as it sees fit; this process goes when the coordinator's channel does.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.on('message', (m) => {
  if (m.op === 'attached') { closeAll(held.get(m.id) || []); held.delete(m.id); }
  else if (m.op === 'start') start(m);
  else if (m.op === 'remove') {
    for (const p of m.paths) { try { fs.rmSync(p, { recursive: true, force: true }); } catch {} }
    send({ op: 'removed', id: m.id });
  }
});
function fifos(m) {
  const files = [path.join(m.runDir, '.out'), path.join(m.runDir, '.err')];
  const hold = [], write = [];
  try {
    // a kill -9 between making them and the spawn left them: this start of the run makes its own
    for (const f of files) fs.rmSync(f, { force: true });
    execFileSync('mkfifo', ['-m', '600', ...files], { stdio: 'ignore' });
    if (m.uid !== undefined) for (const f of files) fs.chownSync(f, m.uid, m.gid ?? m.uid);
    for (const f of files) {
      const fd = fs.openSync(f, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
      hold.push(fd);
      if (!fs.fstatSync(fd).isFIFO()) throw new Error('not a FIFO');
    }
    // blocking write ends (as an agent expects of its stdout); our read end is there, so this open returns
    for (const f of files) write.push(fs.openSync(f, O_WRONLY | O_NOFOLLOW));
    return { hold, write };
  } catch {
    closeAll(hold);
    closeAll(write);
    return undefined;
  }
}
function start(m) {
  const f = fifos(m);
  if (!f) return send({ op: 'nofifo', id: m.id });
  let child;
  try {
    child = spawn(m.command, m.args, {
      cwd: m.cwd,
      env: m.env,
      detached: true,
      stdio: [m.stdin == null ? 'ignore' : 'pipe', f.write[0], f.write[1]],
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.gid !== undefined ? { gid: m.gid } : {}),
    });
  } catch (error) {
    closeAll(f.hold);
    return send({ op: 'error', id: m.id, code: error.code, message: error.message });
  } finally {
    // the child has its copies now (spawn returns after the exec): ours would keep the FIFOs from ending
    closeAll(f.write);
  }
  child.once('error', (error) => {
    closeAll(f.hold);
    send({ op: 'error', id: m.id, code: error.code, message: error.message });
  });
  child.once('spawn', () => {
    held.set(m.id, f.hold);
    if (m.stdin != null && child.stdin) {
      child.stdin.on('error', () => {}); // the agent may exit without reading its prompt
      child.stdin.end(m.stdin);
    }
    send({ op: 'spawned', id: m.id, pid: child.pid });
  });
  child.once('exit', (code, signal) => send({ op: 'exit', id: m.id, code, signal }));
}
send({ op: 'ready', pid: process.pid });
`;
