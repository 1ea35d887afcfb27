import { nextCursor, type DeliveryAttempt } from '../../functions/webhook-redelivery/app-deliveries.js';
import { failedDeliveries } from '../../functions/webhook-redelivery/failed-deliveries.js';

let nextId = 100;
const attempt = (guid: string, status: string, redelivery = false): DeliveryAttempt => ({
  id: nextId--,
  guid,
  delivered_at: '2026-01-01T00:00:00Z',
  redelivery,
  status,
  status_code: status === 'OK' ? 200 : 500,
});

describe('failedDeliveries', () => {
  it('names each GUID whose attempts all failed once, with its newest attempt (attempts come newest first)', () => {
    const newest = attempt('a', 'Invalid HTTP Response: 409', true);
    const attempts = [
      newest,
      attempt('b', 'OK'),
      attempt('a', 'Invalid HTTP Response: 500'),
      attempt('c', 'timed out'),
    ];
    expect(failedDeliveries(attempts)).toEqual([
      { guid: 'a', attemptId: newest.id, deliveredAt: newest.delivered_at },
      { guid: 'c', attemptId: attempts[3]?.id, deliveredAt: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('skips a GUID with any successful attempt: a later redelivery or a concurrent copy', () => {
    const attempts = [
      attempt('later', 'OK', true),
      attempt('later', 'Invalid HTTP Response: 503'),
      attempt('copy', 'Invalid HTTP Response: 409'),
      attempt('copy', 'OK'),
    ];
    expect(failedDeliveries(attempts)).toEqual([]);
  });
});

describe('nextCursor', () => {
  it('reads the cursor of the rel="next" URL in GitHub’s Link header, and nothing without one', () => {
    const link =
      '<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_12077215967>; rel="next", <https://api.github.com/app/hook/deliveries?per_page=100>; rel="first"';
    expect(nextCursor(link)).toBe('v1_12077215967');
    expect(
      nextCursor('<https://api.github.com/app/hook/deliveries?per_page=100>; rel="first"'),
    ).toBeUndefined();
    expect(nextCursor(undefined)).toBeUndefined();
  });
});
