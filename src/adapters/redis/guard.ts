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
