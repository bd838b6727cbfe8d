// ping's RTT summary figures (src/engine/rtt-accumulator.ts), against values
// worked by hand the way iputils computes them (ping_common.c: tsum, tsum2,
// tmin, tmax; rtt (the EWMA) with weight 1/8 for floods).
import { describe, expect, it } from 'vitest';
import { RttAccumulator } from '../src/engine/rtt-accumulator.ts';

describe('RttAccumulator', () => {
  it('has no statistics before the first RTT', () => {
    const rtts = new RttAccumulator();
    expect(rtts.statistics()).toBeUndefined();
    expect(rtts.count).toBe(0);
    expect(rtts.max).toBe(0);
  });

  it('gives min/avg/max and mdev as the standard deviation', () => {
    const rtts = new RttAccumulator();
    for (const ms of [0.4, 0.1, 0.3, 0.2]) rtts.add(ms);
    const stats = rtts.statistics()!;
    expect(stats.minMs).toBeCloseTo(0.1, 12);
    expect(stats.maxMs).toBeCloseTo(0.4, 12);
    expect(stats.avgMs).toBeCloseTo(0.25, 12);
    // sqrt((0.16 + 0.01 + 0.09 + 0.04) / 4 - 0.25^2) = sqrt(0.075 - 0.0625)
    expect(stats.mdevMs).toBeCloseTo(Math.sqrt(0.0125), 12);
    expect(rtts.count).toBe(4);
  });

  it('smooths with weight 1/8 from the first RTT on', () => {
    const rtts = new RttAccumulator();
    rtts.add(1);
    expect(rtts.ewma).toBe(1);
    rtts.add(9);
    expect(rtts.ewma).toBe(2); // 1 + (9 - 1) / 8
    rtts.add(2);
    expect(rtts.ewma).toBe(2);
  });

  it('reports 0 mdev, not NaN, for equal RTTs whose squares round', () => {
    const rtts = new RttAccumulator();
    for (let i = 0; i < 1000; i++) rtts.add(0.1);
    expect(rtts.statistics()!.mdevMs).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(rtts.statistics()!.mdevMs)).toBe(false);
  });
});
