import { FixedWindowThrottlerStorage } from './fixed-window.storage';

describe('FixedWindowThrottlerStorage', () => {
  let now = 1_000_000;
  const storage = new FixedWindowThrottlerStorage(() => now);

  it('counts hits per key and window, blocks past the limit for the block duration', async () => {
    for (let i = 1; i <= 3; i++) expect(await storage.increment('a', 60_000, 3, 120_000, 'login:ip')).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await storage.increment('a', 60_000, 3, 120_000, 'login:ip')).toMatchObject({ isBlocked: true, timeToBlockExpire: 120 });
    expect(await storage.increment('b', 60_000, 3, 120_000, 'login:ip')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('a', 60_000, 3, 120_000, 'login:account')).toMatchObject({ totalHits: 1, isBlocked: false });
    now += 61_000; // window over, block not yet
    expect(await storage.increment('a', 60_000, 3, 120_000, 'login:ip')).toMatchObject({ isBlocked: true, timeToBlockExpire: 59 });
    now += 60_000; // block over
    expect(await storage.increment('a', 60_000, 3, 120_000, 'login:ip')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps one record per key however many requests it sees', async () => {
    for (let i = 0; i < 50_000; i++) await storage.increment('busy', 60_000, 1_000_000, 60_000, 'token:ip');
    expect((storage as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThan(10);
  });
});
