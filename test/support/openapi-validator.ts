import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Operation = {
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
};
type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Where GitHub's description contradicts GitHub's own answers, the schema that does describe them.
 * GET /app/installations inlines `account` as allOf(simple-user, enterprise), which no real answer
 * satisfies; the `installation` component (anyOf) is what the endpoint returns.
 */
const ERRATA: Record<string, object> = {
  'GET /app/installations 200': { type: 'array', items: { $ref: 'github#/components/schemas/installation' } },
};

/** Escapes one JSON-pointer segment and makes it safe inside a URI fragment. */
const segment = (value: string) => encodeURIComponent(value.replace(/~/g, '~0').replace(/\//g, '~1'));

/**
 * Makes GitHub's OpenAPI 3.0 schemas plain JSON Schema for Ajv. `nullable: true` becomes JSON Schema's `null` type (Ajv only accepts `nullable` beside
 * `type`, and GitHub's description also uses it beside `allOf`/`anyOf`).
 */
function toJsonSchemaNullability(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchemaNullability);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = toJsonSchemaNullability(value);
  // Ajv cannot use discriminator mappings; "one of these shapes" still holds as anyOf.
  if (out.discriminator !== undefined && Array.isArray(out.oneOf)) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
    delete out.discriminator;
  }
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

/**
 * Validates response bodies against GitHub's published OpenAPI description (`@octokit/openapi`,
 * api.github.com), compiling only the schemas a check needs.
 */
export class GitHubOpenApi {
  private readonly document: OpenApiDocument;
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    const path = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    this.document = toJsonSchemaNullability(JSON.parse(readFileSync(path, 'utf8'))) as OpenApiDocument;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, 'github');
  }

  hasOperation(method: string, template: string): boolean {
    return this.document.paths[template]?.[method.toLowerCase()] !== undefined;
  }

  /** The JSON pointer of the schema GitHub documents for this answer; undocumented statuses fall back to basic-error. */
  private schemaPointer(method: string, template: string, status: number): string | undefined {
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) return undefined;
    let response = operation.responses?.[String(status)];
    let pointer = `#/paths/${segment(template)}/${method.toLowerCase()}/responses/${status}`;
    if (response?.$ref) {
      const name = response.$ref.split('/').pop() ?? '';
      response = this.document.components.responses?.[name] as typeof response;
      pointer = `#/components/responses/${segment(name)}`;
    }
    if (!response) return status >= 400 ? '#/components/schemas/basic-error' : undefined;
    if (!response.content?.['application/json']?.schema) return undefined;
    return `${pointer}/content/${segment('application/json')}/schema`;
  }

  /** Validation errors of `value` against one of GitHub's component schemas (`webhook-repository-created`, …). */
  validateSchema(name: string, value: unknown): string[] {
    const pointer = `#/components/schemas/${segment(name)}`;
    if (!this.document.components.schemas?.[name]) return [`no schema ${name}`];
    let validator = this.compiled.get(pointer);
    if (!validator) {
      validator = this.ajv.compile({ $ref: `github${pointer}` });
      this.compiled.set(pointer, validator);
    }
    if (validator(JSON.parse(JSON.stringify(value ?? null)))) return [];
    return (validator.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }

  /** Returns the validation errors (empty when the body matches), or undefined when GitHub documents no body. */
  validate(method: string, template: string, status: number, body: unknown): string[] | undefined {
    const erratum = ERRATA[`${method} ${template} ${status}`];
    const pointer = erratum
      ? `erratum:${method} ${template} ${status}`
      : this.schemaPointer(method, template, status);
    if (!pointer) return undefined;
    let validator = this.compiled.get(pointer);
    if (!validator) {
      validator = this.ajv.compile(erratum ?? { $ref: `github${pointer}` });
      this.compiled.set(pointer, validator);
    }
    const plain: unknown = JSON.parse(JSON.stringify(body ?? null));
    if (validator(plain)) return [];
    return (validator.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }
}
