import { CachedReadiness, READINESS_TTL_MS, type Readiness } from '../../shared/app-readiness';
import { ManualClock } from '../support/clock';

const OK: Readiness = { table: 'ok', parameters: 'ok', secret: 'ok' };
const DOWN: Readiness = { table: 'ok', parameters: 'unreachable', secret: 'ok' };

/** A probe that answers from a script and counts its calls (each one would be three AWS calls). */
function scripted(...answers: Readiness[]) {
  let calls = 0;
  const probe = async () => {
    const answer = answers[Math.min(calls, answers.length - 1)] ?? OK;
    calls++;
    return answer;
  };
  return { probe, calls: () => calls };
}

describe('/readyz cached per container', () => {
  test('one probe per 5 seconds however many requests', async () => {
    expect(READINESS_TTL_MS).toBe(5_000);
    const clock = new ManualClock();
    const probe = scripted(OK, DOWN);
    const readiness = new CachedReadiness(probe.probe, clock);
    for (let i = 0; i < 100; i++) expect(await readiness.get()).toEqual(OK);
    expect(probe.calls()).toBe(1);
    // ManualClock runs on real time plus its offset: leave the test's own milliseconds some room.
    clock.advance(4_500);
    expect(await readiness.get()).toEqual(OK);
    expect(probe.calls()).toBe(1);
    clock.advance(500);
    expect(await readiness.get()).toEqual(DOWN);
    expect(probe.calls()).toBe(2);
  });

  test('a failing answer is cached too: an unreachable dependency is not probed harder', async () => {
    const clock = new ManualClock();
    const probe = scripted(DOWN, OK);
    const readiness = new CachedReadiness(probe.probe, clock);
    expect(await readiness.get()).toEqual(DOWN);
    clock.advance(2_000);
    expect(await readiness.get()).toEqual(DOWN);
    expect(probe.calls()).toBe(1);
    clock.advance(3_000);
    expect(await readiness.get()).toEqual(OK);
    expect(probe.calls()).toBe(2);
  });

  test('concurrent requests share one probe', async () => {
    const clock = new ManualClock();
    let release: (r: Readiness) => void = () => {};
    let calls = 0;
    const readiness = new CachedReadiness(
      () =>
        new Promise<Readiness>((resolve) => {
          calls++;
          release = resolve;
        }),
      clock,
    );
    const answers = Promise.all(Array.from({ length: 20 }, () => readiness.get()));
    release(OK);
    expect(await answers).toEqual(Array.from({ length: 20 }, () => OK));
    expect(calls).toBe(1);
  });

  test('a clock that moves back does not extend the answer', async () => {
    const clock = new ManualClock();
    const probe = scripted(OK, DOWN);
    const readiness = new CachedReadiness(probe.probe, clock);
    await readiness.get();
    clock.advance(-60_000);
    expect(await readiness.get()).toEqual(DOWN);
    expect(probe.calls()).toBe(2);
  });
});
