// Loaded with `node --import` into a `habitat up` by chaos/hostile.test.ts: removes the state dir at an exact
// instant of the control socket's listen, which an outside `rm -rf` hits only by luck (it did, once, under
// load). RM_AT_BIND=after: once the socket file is bound, before the listen callback runs (where the daemon
// used to chmod the file it had just lost); RM_AT_BIND=before: just before the bind.
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const when = process.env.RM_AT_BIND;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const file = typeof args[0] === 'string' && args[0].endsWith('/habitat.sock') ? args[0] : undefined;
  if (file && when === 'before') rmSync(path.dirname(file), { recursive: true, force: true });
  if (file && when === 'after' && typeof args.at(-1) === 'function') {
    const callback = args.pop();
    args.push(function (...a) {
      rmSync(path.dirname(file), { recursive: true, force: true });
      return callback.apply(this, a);
    });
  }
  return listen.apply(this, args);
};
