import { Clock } from './clock';
import { InMemorySessionStore } from './in-memory-session.store';

class FrozenClock extends Clock {
  time = 1_000_000;
  override now(): number {
    return this.time;
  }
}

describe('InMemorySessionStore', () => {
  it('returns values until their time to live has passed', async () => {
    const clock = new FrozenClock();
    const store = new InMemorySessionStore(clock);
    await store.set('a', 'one', 1_000);
    clock.time += 999;
    expect(await store.get('a')).toBe('one');
    clock.time += 1;
    expect(await store.get('a')).toBeUndefined();
  });

  it('hands a value out once through take', async () => {
    const store = new InMemorySessionStore(new FrozenClock());
    await store.set('a', 'one', 1_000);
    expect(await Promise.all([store.take('a'), store.take('a')])).toEqual(['one', undefined]);
    expect(await store.get('a')).toBeUndefined();
  });

  // OWASP ASVS 5.0 V2.4 / CWE-770: a flood of started sign-ins must not grow memory without bound.
  it('stays within its bound, dropping expired then oldest entries (CWE-770)', async () => {
    const clock = new FrozenClock();
    const store = new InMemorySessionStore(clock, 3);
    await store.set('short', 's', 10);
    await store.set('b', 'b', 1_000);
    await store.set('c', 'c', 1_000);
    clock.time += 20;
    await store.set('d', 'd', 1_000);
    expect(await store.get('b')).toBe('b');
    await store.set('e', 'e', 1_000);
    expect(await store.get('b')).toBeUndefined();
    expect(await Promise.all(['c', 'd', 'e'].map((k) => store.get(k)))).toEqual(['c', 'd', 'e']);
  });
});
