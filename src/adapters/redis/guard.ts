import { StoreUnavailableError } from '../../ports/mastery-store.port';

type Unavailable = new (message: string, options?: ErrorOptions) => Error;

/**
 * Any failure talking to Redis is transient from the caller's point of view: it becomes the
 * port's "unavailable" error (the state store's by default); its text stays in our logs.
 */
export async function guard<T>(op: () => Promise<T>, Unavailable: Unavailable = StoreUnavailableError): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof Unavailable) throw err;
    throw new Unavailable(`redis: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Runs a MULTI and fails if any command in it failed. EXEC answers such a failure (WRONGTYPE, out
 * of memory) as that command's reply, not as a failed call, so an unchecked transaction reads as
 * written when it was not.
 */
export async function execChecked(transaction: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  const replies = await transaction.exec();
  if (!replies) throw new Error('transaction aborted');
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0]!;
}
