import { CheckRequest } from '../../libs/domain/src/access/evaluator';
import { loadTable, substitute } from '../../libs/domain/src/presets/tables/tables';
import { ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';
import { GrpcTestClient } from '../support/grpc-client';
import { setUpTableAccount, TableAccount } from '../support/grpc-tables';

/**
 * The seed tables over gRPC: every row, for every role, by user id and by API key,
 * through PermissionService.Check from a client built only from the .proto files; each
 * answer must equal the HTTP answer to the same check, and the seed's verdict. Then the
 * whole table again in CheckBulk, which must agree item by item.
 */

type Principal = { user_id: string } | { api_key: string };

/** A table check (HTTP JSON shape) as a gatehouse.v1 message. */
function toProto(check: CheckRequest) {
  const r = check.resource;
  return {
    action: check.action,
    ...(r
      ? {
          resource: {
            type: r.type ?? '',
            id: r.id ?? '',
            owner: r.owner ?? '',
            team: r.team ?? '',
            tags: Object.fromEntries(Object.entries(r.tags ?? {}).map(([k, values]) => [k, { values }])),
          },
        }
      : {}),
  };
}

/** A gRPC CheckResponse in the HTTP answer's shape (an unset `matched` is absent over HTTP). */
function asHttp(answer: { allowed: boolean; reason: string; message: string; matched: unknown; revision: string }) {
  return { allowed: answer.allowed, reason: answer.reason, message: answer.message, ...(answer.matched ? { matched: answer.matched } : {}), revision: answer.revision };
}

const httpPrincipal = (p: Principal) => ('user_id' in p ? { type: 'user', id: p.user_id } : { apiKey: p.api_key });

describe.each(['fireworks', 'predibase', 'firefly', 'adaptive'])('preset %s over gRPC', (preset) => {
  let gh: TestGatehouse;
  let client: GrpcTestClient;
  let t: TableAccount;
  const answers: { request: object; expected: unknown }[] = [];

  beforeAll(async () => {
    gh = await startGatehouse({ grpc: true });
    client = new GrpcTestClient(gh.grpcAddress!);
    t = await setUpTableAccount(gh, preset);
  });
  afterAll(async () => {
    client.close();
    await gh.stop();
  });

  const table = loadTable(preset); // the rows are known before the account exists: the tests are declared from them
  for (const row of table.rows) {
    for (const role of table.roles) {
      const expected = row.expect[role];
      it(`${table.seed} › ${row.table} › "${row.row}" › ${role} → ${expected ? 'allowed' : 'denied'} (Check = POST /check)`, async () => {
        // Any authenticated caller of the account may check: here a member's own key, not the root key.
        const caller = t.users[table.roles[0]].key;
        for (const check of row.checks) {
          const concrete = substitute(check, { self: t.users[role].id, other: t.other.id });
          for (const principal of [{ user_id: t.users[role].id }, { api_key: t.users[role].key }] as Principal[]) {
            const http = await gh.http('POST', `/v1/accounts/${t.account}/check`, { key: ROOT_KEY, body: { principal: httpPrincipal(principal), ...concrete } });
            expect(http.status).toBe(200);
            const request = { principal, ...toProto(concrete) };
            const grpc = await client.call('Check', { account: t.account, ...request }, { key: caller });
            expect({ check, principal: Object.keys(principal)[0], answer: asHttp(grpc) }).toEqual({ check, principal: Object.keys(principal)[0], answer: http.body });
            expect({ check, principal: Object.keys(principal)[0], allowed: grpc.allowed }).toEqual({ check, principal: Object.keys(principal)[0], allowed: expected });
            answers.push({ request, expected: http.body });
          }
        }
      });
    }
  }

  it('answers the whole table in CheckBulk, item by item as Check did', async () => {
    expect(answers.length).toBeGreaterThan(0);
    for (let i = 0; i < answers.length; i += 1000) {
      const chunk = answers.slice(i, i + 1000);
      const bulk = await client.call('CheckBulk', { account: t.account, checks: chunk.map((a) => a.request) }, { key: ROOT_KEY });
      expect(bulk.results).toHaveLength(chunk.length);
      expect(bulk.results.map((r: { result: string; answer: Parameters<typeof asHttp>[0] }) => (r.result === 'answer' ? asHttp(r.answer) : r))).toEqual(
        chunk.map((a) => a.expected),
      );
      expect(BigInt(bulk.revision)).toBeGreaterThan(0n);
    }
  });
});
