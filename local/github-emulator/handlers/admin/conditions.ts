import { json, stringField, type Route } from '../../http.js';
import { admin, bad } from './shared.js';
import { FAULT_MODES, type AdminState, type Fault } from './state.js';

/** The control API (docs/github-emulator.md): the clock, the latency, injected faults and the call log. */
export function conditionRoutes(state: AdminState): Route[] {
  const latency = () => ({ latencyMs: state.latencyMs, minMs: state.latencyMs, maxMs: state.latencyMaxMs });
  return [
    admin('POST', '/clock', (request, context) => {
      const seconds = Number(request.body?.advanceSeconds);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw bad('advanceSeconds must be a number of seconds >= 0');
      context.world.clock.advance(seconds);
      return json(200, { now: context.world.clock.iso() });
    }),
    // `{latencyMs}` for a fixed latency, or `{minMs, maxMs}` for a random one in that range per call.
    admin('PUT', '/latency', (request) => {
      const body = request.body ?? {};
      const valid = (value: unknown): value is number =>
        typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 60_000;
      if (body.minMs !== undefined || body.maxMs !== undefined) {
        if (!valid(body.minMs) || !valid(body.maxMs) || body.minMs > body.maxMs)
          throw bad('minMs and maxMs must be integers from 0 to 60000, minMs ≤ maxMs');
        state.latencyMs = body.minMs;
        state.latencyMaxMs = body.maxMs;
      } else {
        if (!valid(body.latencyMs)) throw bad('latencyMs must be an integer from 0 to 60000');
        state.latencyMs = body.latencyMs;
        state.latencyMaxMs = body.latencyMs;
      }
      return json(200, latency());
    }),
    admin('GET', '/latency', () => json(200, latency())),
    admin('GET', '/clock', (_request, context) => json(200, { now: context.world.clock.iso() })),
    admin('POST', '/faults', (request) => {
      const body = request.body ?? {};
      const status = Number(body.status ?? 500);
      const fault: Fault = {
        id: state.nextFaultId++,
        method: stringField(body, 'method')?.toUpperCase(),
        route: stringField(body, 'route') ?? stringField(body, 'path'),
        remaining: Math.max(1, Number(body.count ?? 1) || 1),
        status,
        headers:
          typeof body.headers === 'object' && body.headers ? (body.headers as Record<string, string>) : {},
        body: body.body ?? {
          message: status >= 500 ? 'Server Error' : 'Fault injected',
          documentation_url: 'https://docs.github.com/rest',
        },
        delayMs: Math.max(0, Number(body.delayMs ?? 0) || 0),
        mode: FAULT_MODES.find((mode) => mode === body.mode) ?? 'respond',
      };
      state.faults.push(fault);
      return json(201, fault);
    }),
    admin('DELETE', '/faults', () => {
      state.faults.length = 0;
      return { status: 204 };
    }),
    admin('GET', '/calls', (request) => {
      const route = request.url.searchParams.get('route');
      const calls = route
        ? state.calls.filter((call) => `${call.method} ${call.route}` === route || call.route === route)
        : state.calls;
      return json(200, { calls });
    }),
    admin('DELETE', '/calls', () => {
      state.calls.length = 0;
      return { status: 204 };
    }),
  ];
}
