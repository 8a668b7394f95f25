/**
 * Runs `run(i)` for every index: indexes sharing a key one after another in index order, different
 * keys concurrently, at most `concurrency` keys at a time. Both ingest drivers (HTTP batches and
 * Kafka partitions) key by student, so each student's events apply in the order sent while other
 * students go on. `run` answers false to stop its key: that key's later indexes are not run.
 */
export async function inOrderPerKey(keys: readonly string[], concurrency: number, run: (index: number) => Promise<boolean>): Promise<void> {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const queue = [...groups.values()];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      while (next < queue.length) {
        for (const i of queue[next++]!) if (!(await run(i))) break;
      }
    }),
  );
}
