import { FairSlots, onBehalfOf } from '../../../src/connectors/http';

/** A call that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const released = new Promise<void>((r) => (open = r));
  return { fn: async () => { log.push(name); await released; return name; }, open };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('FairSlots: a system\'s concurrent calls shared between operators', () => {
  it('gives a freed slot to the waiting caller holding the fewest, not to the one who queued first', async () => {
    const slots = new FairSlots(2);
    const started: string[] = [];
    const flood = [1, 2, 3, 4].map((i) => gate(started, `flood${i}`));
    const calm = gate(started, 'calm');
    const runs = flood.map((g) => onBehalfOf('flood', () => slots.run(g.fn)));
    await tick();
    const calmRun = onBehalfOf('calm', () => slots.run(calm.fn));
    await tick();
    expect(started).toEqual(['flood1', 'flood2']);
    flood[0]!.open();
    await tick();
    expect(started).toEqual(['flood1', 'flood2', 'calm']); // flood3 queued earlier, but flood holds a slot already
    flood[1]!.open();
    await tick();
    expect(started).toEqual(['flood1', 'flood2', 'calm', 'flood3']);
    for (const g of [...flood, calm]) g.open();
    await expect(Promise.all([...runs, calmRun])).resolves.toEqual(['flood1', 'flood2', 'flood3', 'flood4', 'calm']);
  });

  it('lets a caller alone use every slot, and queues callers of equal standing first come, first served', async () => {
    const slots = new FairSlots(3);
    const started: string[] = [];
    const gates = ['a1', 'a2', 'a3', 'b1', 'c1'].map((n) => gate(started, n));
    const runs = ['a1', 'a2', 'a3', 'b1', 'c1'].map((n, i) => onBehalfOf(n[0]!, () => slots.run(gates[i]!.fn)));
    await tick();
    expect(started).toEqual(['a1', 'a2', 'a3']);
    gates[0]!.open();
    await tick();
    expect(started).toEqual(['a1', 'a2', 'a3', 'b1']);
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(started).toEqual(['a1', 'a2', 'a3', 'b1', 'c1']);
  });

  it('drops a wait that is aborted, without running it, and passes the slot on', async () => {
    const slots = new FairSlots(1);
    const started: string[] = [];
    const first = gate(started, 'first');
    const waiting = gate(started, 'aborted');
    const next = gate(started, 'next');
    const running = slots.run(first.fn);
    const controller = new AbortController();
    const aborted = slots.run(waiting.fn, controller.signal);
    const after = slots.run(next.fn);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    first.open();
    next.open();
    await expect(Promise.all([running, after])).resolves.toEqual(['first', 'next']);
    expect(started).toEqual(['first', 'next']);
    await expect(slots.run(async () => 'free again')).resolves.toBe('free again');
  });
});
