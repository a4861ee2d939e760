// Preloaded (`node -r`) into the server processes that bench/token.bench.ts starts: when the
// benchmark process goes away without stopping them (killed with SIGKILL, say), the IPC
// channel it opened closes and the server gets SIGTERM, its ordinary graceful stop. Does
// nothing in a process started without an IPC channel.
'use strict';
if (process.channel) {
  process.channel.unref(); // the channel alone keeps nothing alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
