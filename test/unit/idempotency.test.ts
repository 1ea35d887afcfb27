import { IDEMPOTENCY, keptAnswer } from '../../functions/shared/http/idempotency.js';
import { json, noContent } from '../../functions/shared/http/responses.js';

/** Which answers an Idempotency-Key replays: final outcomes only, JSON bodies only, nothing secret. */
describe('keptAnswer', () => {
  it('keeps 2xx and final 4xx answers: status and body, nothing else', () => {
    expect(keptAnswer(json(201, { id: 'a' }, { 'X-Other': 'dropped' }))).toEqual({
      statusCode: 201,
      body: '{"id":"a"}',
    });
    expect(keptAnswer(noContent())).toEqual({ statusCode: 204, body: undefined });
    const refused = json(409, { error: 'head_moved', message: 'moved', currentSha: 'abc' });
    expect(keptAnswer(refused)).toEqual({ statusCode: 409, body: refused.body });
  });

  it('keeps no 5xx, nothing with Retry-After and no "send it again" code: the retry runs again', () => {
    expect(keptAnswer(json(502, { error: 'github_error', message: 'x' }))).toBeUndefined();
    expect(keptAnswer(json(503, { error: 'service_unavailable', message: 'x' }))).toBeUndefined();
    expect(
      keptAnswer(json(409, { error: 'delivery_in_progress', message: 'x' }, { 'Retry-After': '2' })),
    ).toBeUndefined();
    expect(keptAnswer(json(409, { error: 'creation_in_progress', message: 'x' }))).toBeUndefined();
  });

  it('keeps no cookies, no other content type and nothing over the size cap', () => {
    expect(keptAnswer(noContent({}, ['session=x; HttpOnly']))).toBeUndefined();
    expect(
      keptAnswer({ statusCode: 200, headers: { 'Content-Type': 'text/html' }, body: '<p>hi</p>' }),
    ).toBeUndefined();
    const big = json(201, { text: 'x'.repeat(IDEMPOTENCY.maxBodyBytes) });
    expect(keptAnswer(big)).toBeUndefined();
  });
});
