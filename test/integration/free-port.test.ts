import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort } from '../../local/ports.js';

/**
 * A port handed to a child (`npm start` binds it seconds later) must not be one the OS gives to the next
 * `listen(0)` of any process: in a full `npm test`, a parallel suite's server took such a port first and
 * npm start died with EADDRINUSE. Ports the OS hands out by itself come from its ephemeral range.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [32768, 60999]; // Linux's default, where /proc is not readable
  }
}

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

it('picks ports outside the range the OS assigns to listen(0) and outgoing connections', async () => {
  const [low, high] = ephemeralRange();
  const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
  for (const port of ports) expect(port < low || port > high).toBe(true);
  // Not handed out twice by one process, even when asked for many at once.
  expect(new Set(ports).size).toBe(ports.length);
});

it('skips a port something already listens on', async () => {
  const taken = await Promise.all(Array.from({ length: 20 }, async () => listen(await freePort())));
  try {
    const held = new Set(taken.map((server) => (server.address() as { port: number }).port));
    for (let i = 0; i < 20; i++) expect(held.has(await freePort())).toBe(false);
  } finally {
    await Promise.all(taken.map((server) => new Promise((resolve) => server.close(resolve))));
  }
});
