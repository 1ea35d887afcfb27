import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractRouteKey, ROUTES } from '../../functions/shared/service-routes.js';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
};

const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as OpenApi;
const METHODS = new Set(['get', 'post', 'put', 'delete', 'patch']);
/** Operations an abuse limit may refuse (docs/security.md "Abuse limits"): their 429 says so too. */
const ABUSE_LIMITED = new Set([
  'post /accounts',
  'post /accounts/{accountId}/members',
  // Token vending's per-principal throttle (docs/token-vending.md).
  'post /service/accounts/{accountId}/tokens',
  'delete /service/tokens',
]);

const documented = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((method) => METHODS.has(method))
    .map((method) => `${method.toUpperCase()} ${path}`),
);

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it('documents every route the stack deploys', () => {
    expect(ROUTES.map(contractRouteKey).filter((key) => !documented.includes(key))).toEqual([]);
  });

  it('documents no path the stack does not deploy', () => {
    const deployed = ROUTES.map(contractRouteKey);
    expect(documented.filter((key) => !deployed.includes(key))).toEqual([]);
  });

  it('declares every `{x}` of a path as a path parameter x (generated clients can fill it)', () => {
    type Parameter = { $ref?: string; name?: string; in?: string };
    const named = (parameter: Parameter) => {
      const ref = parameter.$ref?.split('/').pop();
      const resolved = ref ? (components.parameters[ref] ?? {}) : parameter;
      return resolved.in === 'path' ? resolved.name : undefined;
    };
    const components = (document as unknown as { components: { parameters: Record<string, Parameter> } })
      .components;
    const undeclared = Object.entries(document.paths).flatMap(([path, item]) => {
      const shared = ((item as { parameters?: Parameter[] }).parameters ?? []).map(named);
      return Object.entries(item)
        .filter(([method]) => METHODS.has(method))
        .flatMap(([method, operation]) => {
          const own = ((operation as { parameters?: Parameter[] }).parameters ?? []).map(named);
          const declared = new Set([...shared, ...own]);
          return [...path.matchAll(/\{([^}]+)\}/g)]
            .map((match) => match[1] ?? '')
            .filter((name) => !declared.has(name))
            .map((name) => `${method.toUpperCase()} ${path}: {${name}}`);
        });
    });
    expect(undeclared).toEqual([]);
  });

  it('gives every operation at least one documented error answer or is public health', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method) || path === '/health') continue;
        const statuses = Object.keys(operation.responses ?? {});
        expect([`${method} ${path}`, statuses.some((status) => /^[45]/.test(status))]).toEqual([
          `${method} ${path}`,
          true,
        ]);
      }
    }
  });

  it('declares the shared 413, 429, 500 and 503 answers on every operation', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        expect([
          `${method} ${path}`,
          operation.responses?.['413'],
          operation.responses?.['429'],
          operation.responses?.['500'],
          operation.responses?.['503'],
        ]).toEqual([
          `${method} ${path}`,
          { $ref: '#/components/responses/PayloadTooLarge' },
          {
            $ref: ABUSE_LIMITED.has(`${method} ${path}`)
              ? '#/components/responses/AbuseLimitReached'
              : '#/components/responses/TooManyRequests',
          },
          { $ref: '#/components/responses/InternalServerError' },
          { $ref: '#/components/responses/ServiceUnavailable' },
        ]);
      }
    }
  });

  it('is linted by the presets as they are: no rule switched off or softened', () => {
    const config = (name: string) =>
      parse(readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')) as unknown;
    expect(config('redocly.yaml')).toEqual({ extends: ['recommended'] });
    expect(config('.spectral.yaml')).toEqual({ extends: ['spectral:oas'] });
  });
});

describe('error codes', () => {
  it('lists in openapi.yaml every error code the functions answer', async () => {
    const { readdirSync } = await import('node:fs');
    const root = new URL('../../functions/', import.meta.url);
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const text = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
    const codes = new Set<string>();
    for (const file of files) {
      const source = readFileSync(new URL(file, root), 'utf8');
      // Typed errors' codes (`new XError('code'`), literal bodies (`error: 'code'`) and redirect outcomes.
      const patterns = [
        /new \w+Error\(\s*'([a-z_]+)'/g,
        /\berror: '([a-z_]+)'/g,
        /\b(?:auth_error|install_error): '([a-z_]+)'/g,
      ];
      for (const pattern of patterns) for (const match of source.matchAll(pattern)) codes.add(match[1] ?? '');
    }
    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((code) => !text.includes(`\`${code}\``)).sort()).toEqual([]);
  });
});
