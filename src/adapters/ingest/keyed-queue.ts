/**
 * Serialises tasks that share a key within this process, so concurrent applies to one student
 * queue here instead of failing each other's optimistic checks in the store; the store's own
 * check (a Lua version check, a Dapr ETag) still guards against other replicas.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
