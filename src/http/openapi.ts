/**
 * The OpenAPI 3.1 document, written from the route list the app mounts: paths, parameters
 * and bodies come from the same zod schemas that validate requests (zod 4's toJSONSchema,
 * whose draft 2020-12 output is OpenAPI 3.1's schema dialect).
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { HTTP_ERROR_STATUS, type HttpErrorCode } from './http-error.ts';
import type { AnyRoute } from './route.ts';
import { ErrorSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: s,
  }));
}

function statusOf(code: ErrorCode | HttpErrorCode): number {
  return code in ERROR_STATUS ? ERROR_STATUS[code as ErrorCode] : HTTP_ERROR_STATUS[code as HttpErrorCode];
}

function errorResponses(route: AnyRoute): Record<string, JsonSchema> {
  const codes = new Set<ErrorCode | HttpErrorCode>(route.errors ?? []);
  if (route.params || route.query || route.body) codes.add('VALIDATION_FAILED');
  if (route.access !== 'public') codes.add('UNAUTHORIZED');
  if (route.access === 'submit' || route.access === 'decide') codes.add('ROLE_FORBIDDEN');
  if (route.path.startsWith('/api/')) codes.add('RATE_LIMITED');
  const byStatus = new Map<number, string[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  const out: Record<string, JsonSchema> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `Error code ${list.join(' or ')}`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

function operation(route: AnyRoute): JsonSchema {
  const success = route.html
    ? { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } }
    : { description: 'Success', content: { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } } };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:{}]+(\w)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : {}),
    'x-tether-access': route.access,
    parameters: [
      ...parameters(route.params, 'path'),
      ...parameters(route.query, 'query'),
      ...(route.idempotent
        ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'A replay returns the first response.' }]
        : []),
    ],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
      : {}),
    responses: { [String(route.status ?? 200)]: success, ...errorResponses(route) },
  };
}

export function openApiDocument(routes: readonly AnyRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tether',
      version: info.version,
      description: 'Goals, modifications under human approval, tasks and the tamper-evident ledger. Roles: viewer (read), agent (read, submit), approver (read, submit, decide).',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from TETHER_TOKENS (name:role:secret): send the secret.' } },
      schemas: { Error: jsonSchema(ErrorSchema, 'output') },
    },
  };
}
