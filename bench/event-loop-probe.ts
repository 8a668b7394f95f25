/**
 * Preloaded into the HTTP API bench's servers (`bun --preload bench/event-loop-probe.ts …`), never
 * into a deployment: watches the server's event loop (watchEventLoop), and on SIGUSR2 writes the
 * longest stall since the last signal, with the CPU the process used during it, as JSON to the
 * file named by EVENT_LOOP_PROBE_FILE, then starts over. The bench signals before and after a
 * paced run, so a tail can be told apart: a stall the server spent working (CPU close to the
 * stall) or one it spent waiting for a CPU the machine's other work held.
 */
import { writeFileSync } from 'node:fs';
import { watchEventLoop } from './loops';

const file = process.env.EVENT_LOOP_PROBE_FILE;
if (!file) throw new Error('bench/event-loop-probe.ts needs EVENT_LOOP_PROBE_FILE');
let watch = watchEventLoop();
process.on('SIGUSR2', () => {
  writeFileSync(file, JSON.stringify(watch.stop()));
  watch = watchEventLoop();
});
