import { expect, test } from 'bun:test';
import { startDaprd } from '../support/daprd';
import { freePort } from '../support/services';

test('a daprd whose port was taken before it could bind it starts again on other ports', async () => {
  // Another process holds the third port it is given (its internal gRPC port, as in the CI run that
  // failed on it), as a parallel suite may between freePort and daprd's bind.
  const holder = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  let picks = 0;
  const pickPort = async () => (++picks === 3 ? holder.port : freePort());
  try {
    const daprd = await startDaprd({ appId: 'port-race', pickPort });
    try {
      expect((await fetch(`${daprd.url}/v1.0/healthz`)).status).toBe(204);
      expect(daprd.url).not.toContain(`:${holder.port}`);
      expect(picks).toBe(6);
    } finally {
      await daprd.stop();
    }
  } finally {
    holder.stop(true);
  }
}, 60_000);
