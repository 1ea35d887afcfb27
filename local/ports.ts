import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Fails with a message naming the setting to change when another program already holds the port. */
export async function assertPortFree(port: number, setting: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} is already in use. Stop whatever holds it, or set ${setting} to another port.`
            : `Cannot listen on port ${port} (${setting}): ${error.message}`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/**
 * Where freePort looks: below the OS's ephemeral range. A port the OS may hand to any process's
 * `listen(0)` (or an outgoing connection) can be taken between this pick and the child that binds it
 * seconds later (seen: npm start dying with EADDRINUSE in a full test run); none of those come from here.
 */
const PICK_RANGE = { low: 20_000, high: ephemeralLow() - 1 };

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 21_000 ? low : 32_768;
  } catch {
    return 32_768; // Linux's default, where /proc cannot be read
  }
}

/** Ports this process handed out: never twice, even to callers asking at once. */
const handedOut = new Set<number>();

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** A port free right now, outside the OS's ephemeral range (PICK_RANGE), for tests and in-memory runs. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PICK_RANGE.low + randomInt(PICK_RANGE.high - PICK_RANGE.low + 1);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port found between ${PICK_RANGE.low} and ${PICK_RANGE.high}`);
}
