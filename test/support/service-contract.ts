import { hasMalformedPercentEncoding } from '../../functions/shared/http/path-encoding.js';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import type { ObservedResponse } from '../../local/api-server.js';
import { matchRoute } from '../../local/api-event.js';
import { contractPath, ROUTES } from '../../functions/shared/service-routes.js';

type Response = {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
};
type Document = {
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
  components: { responses: Record<string, Response>; schemas: Record<string, unknown> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const pointerSegment = (value: string) => encodeURIComponent(value.replace(/~/g, '~0').replace(/\//g, '~1'));

/**
 * Checks answers the service really gave against our own openapi.yaml: the status is declared for the
 * operation (explicitly: `default` does not count), and a JSON body validates against the declared
 * schema, whose objects list every field (`additionalProperties: false` where the spec says so). An
 * answer no route matched must be the `$default` route's 404 `not_found` / 405 `method_not_allowed`.
 */
export class ServiceContract {
  private readonly document: Document;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(file = new URL('../../openapi.yaml', import.meta.url)) {
    this.document = parse(readFileSync(file, 'utf8')) as Document;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, 'api');
  }

  /** Why the answer breaks the contract, or undefined when it keeps it. */
  violation(answer: ObservedResponse): string | undefined {
    const { method, path, status } = answer;
    if (method === 'OPTIONS') return undefined; // CORS preflight: API Gateway's, outside the contract.
    const where = `${method} ${path} → ${status}`;
    const matched = matchRoute(ROUTES, method, path);
    if (!matched) {
      const malformed = status === 400 && hasMalformedPercentEncoding(path);
      const expected = malformed ? 'invalid_path' : status === 405 ? 'method_not_allowed' : 'not_found';
      if (status !== 404 && status !== 405 && !malformed)
        return `${where}: an unmatched route must answer 404 or 405 (400 invalid_path for a malformed path)`;
      return this.check(where, answer, '#/components/schemas/Error', (body) =>
        (body as { error?: unknown }).error === expected ? undefined : `error must be ${expected}`,
      );
    }
    const template = contractPath(matched.route);
    let pointer = `#/paths/${pointerSegment(template)}/${method.toLowerCase()}/responses/${status}`;
    let response = this.document.paths[template]?.[method.toLowerCase()]?.responses?.[String(status)];
    if (!response) return `${where}: status ${status} is not declared for ${method} ${template}`;
    if (response.$ref) {
      const name = response.$ref.split('/').pop() ?? '';
      response = this.document.components.responses[name];
      pointer = `#/components/responses/${pointerSegment(name)}`;
      if (!response) return `${where}: ${pointer} does not exist`;
    }
    if (!response.content?.['application/json']?.schema) {
      return answer.body.length === 0 ? undefined : `${where}: a body where the contract declares none`;
    }
    return this.check(where, answer, `${pointer}/content/application~1json/schema`);
  }

  private check(
    where: string,
    answer: ObservedResponse,
    pointer: string,
    extra?: (body: unknown) => string | undefined,
  ): string | undefined {
    if (!String(answer.headers['content-type'] ?? '').startsWith('application/json'))
      return `${where}: content-type ${String(answer.headers['content-type'])}, not application/json`;
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      return `${where}: the body is not JSON`;
    }
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `api${pointer}` });
      this.compiled.set(pointer, validate);
    }
    if (!validate(body))
      return `${where}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`;
    return extra?.(body) && `${where}: ${extra(body)}`;
  }
}
