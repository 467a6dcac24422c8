import { schemas } from '@gatehouse/contracts';
import type { Decision } from '@gatehouse/domain';
import type { CheckAnswer } from './check.service';

/**
 * The single check's 200 answer is written by a serializer Fastify compiles from the
 * published CheckResponse schema (check.controller.ts), and such a serializer silently
 * drops any field the schema does not list. These lists are checked by the compiler
 * against the answer's type: a field added to Decision or CheckAnswer fails
 * `npm run typecheck` here until it is listed, and then this test until the schema has it.
 */
const ANSWER_FIELDS: { [K in keyof Required<CheckAnswer>]: true } = { allowed: true, reason: true, message: true, matched: true, revision: true };
const MATCHED_FIELDS: { [K in keyof Required<NonNullable<Decision['matched']>>]: true } = { role: true, grant: true, condition: true };

describe('CheckResponse schema', () => {
  it('lists every field of a check answer, so the compiled serializer drops none', () => {
    const schema = schemas.CheckResponse as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ANSWER_FIELDS).sort());
    expect(Object.keys(schema.properties.matched.properties ?? {}).sort()).toEqual(Object.keys(MATCHED_FIELDS).sort());
  });
});
