import { StoreUnavailableError } from '../../ports/mastery-store.port';

/** Any failure talking to Redis is transient from the caller's point of view; its text stays in our logs. */
export async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(`redis: ${(err as Error).message}`, { cause: err });
  }
}
