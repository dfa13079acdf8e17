/** Serves a simulator's app on 127.0.0.1. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 = an ephemeral port). */
export function listen(app: Express, port = 0, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        baseUrl: `http://${host}:${address.port}`,
        port: address.port,
        close: () => {
          closing ??= new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
