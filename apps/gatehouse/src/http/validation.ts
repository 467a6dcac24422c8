import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DomainError } from '@gatehouse/domain';
import { SchemaName, schemas } from '@gatehouse/contracts';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats(ajv);
const compiled = new Map<SchemaName, ValidateFunction>();

/** Validates a request body against its published schema; unknown fields are errors. */
export function validateBody<T>(name: SchemaName, body: unknown): T {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(schemas[name]);
    compiled.set(name, validate);
  }
  if (body === undefined || body === null) {
    throw new DomainError('REQUEST.BODY_REQUIRED', 'validation', 'a JSON body is required (Content-Type: application/json)');
  }
  if (!validate(body)) {
    throw new DomainError('REQUEST.INVALID_BODY', 'validation', describe(validate.errors ?? []), {
      errors: (validate.errors ?? []).map((e) => ({ pointer: `#${e.instancePath}`, message: e.message, params: e.params })),
    });
  }
  return body as T;
}

function describe(errors: ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'the request body is invalid';
  if (first.keyword === 'additionalProperties') {
    return `unknown field "${String((first.params as { additionalProperty: string }).additionalProperty)}" at ${first.instancePath || '/'}`;
  }
  return `${first.instancePath || 'body'} ${first.message ?? 'is invalid'}`;
}

/** Validates a path parameter. */
export function validateParam(name: string, value: string, pattern: string): string {
  if (!new RegExp(pattern).test(value)) {
    throw new DomainError('REQUEST.INVALID_PARAMETER', 'validation', `path parameter ${name} is malformed`, { parameter: name });
  }
  return value;
}
