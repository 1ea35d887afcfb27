import type { ChildProcess } from 'node:child_process';

/**
 * What a test file started and has not stopped yet (npm start, API workers, Chromium): the test
 * environment (test/support/environment.js) stops whatever is left once the file is done, after its own
 * afterAll hooks, so a test that failed or a fixture that started halfway leaves nothing running. Kept
 * on the test file's global object, which the environment shares.
 */
export type Stoppable = { name: string; stop(): Promise<unknown> };

const KEY = Symbol.for('github-app-accounts.test-processes');

function started(): Set<Stoppable> {
  const globals = globalThis as { [KEY]?: Set<Stoppable> };
  return (globals[KEY] ??= new Set());
}

/** Tracks one started process until `untrack` (call it once the process has stopped). */
export function trackProcess(name: string, stop: () => Promise<unknown>): () => void {
  const entry = { name, stop };
  started().add(entry);
  return () => started().delete(entry);
}

/** A child process, untracked when it exits; stopped with `signal`, then SIGKILL after `graceMs`. */
export function trackChild(
  name: string,
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const untrack = trackProcess(name, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  });
  child.once('exit', untrack);
}
