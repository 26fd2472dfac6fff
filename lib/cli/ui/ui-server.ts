import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sluicePackage } from '../../compose/package-root';
import type { BatchHistory } from './batch-history';

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  readonly history: BatchHistory;
  /** 0 = any free port. @default 4040, Spark's UI port */
  readonly port?: number;
  /** @default 127.0.0.1: the page is served on this machine only */
  readonly host?: string;
  /** How often the checkpoint is sampled, ms; 0 = never (an in-process run feeds every batch). @default 500 */
  readonly sampleEveryMs?: number;
  /** How often the quarantine is read again, ms. @default 3000 */
  readonly quarantineEveryMs?: number;
  /** Told when a sample fails (the page keeps its last data). */
  readonly onSampleError?: (error: unknown) => void;
}

export interface UiServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The web UI's server: the page and its script from the package's `web/` folder, vega and
 * vega-lite's browser builds from the installed packages (no CDN: it works offline), and
 * `/api/snapshot`, the app's recent batches as JSON, which the page polls.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { history } = options;
  const files = staticFiles();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(history.snapshot(Date.now())));
      return;
    }
    const file = files[path === '/' ? '/index.html' : path];
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    readFile(file.path).then(
      (body) => res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read ${file.path}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4040, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const timers = startSampling(options);
  const address = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}/`,
    close: async () => {
      for (const t of timers) clearInterval(t);
      await closeServer(server);
    },
  };
}

function startSampling(options: UiServerOptions): NodeJS.Timeout[] {
  const { history } = options;
  const report = options.onSampleError ?? (() => undefined);
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, work: () => Promise<void>): void => {
    let busy = false;
    const tick = (): void => {
      if (busy) return;
      busy = true;
      work()
        .catch(report)
        .finally(() => (busy = false));
    };
    tick();
    const timer = setInterval(tick, ms);
    timer.unref();
    timers.push(timer);
  };
  const sampleEveryMs = options.sampleEveryMs ?? 500;
  if (sampleEveryMs > 0) every(sampleEveryMs, () => history.sample());
  every(options.quarantineEveryMs ?? 3_000, () => history.sampleQuarantine());
  return timers;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The files the page needs, by URL path: the package's `web/` folder and the charting libraries. */
function staticFiles(): Record<string, { path: string; type: string }> {
  const web = join(sluicePackage().root, 'web');
  const require = createRequire(import.meta.url);
  // vega and vega-lite export only their ES modules; their browser builds sit beside them.
  const vegaDir = dirname(require.resolve('vega'));
  const vegaLiteDir = dirname(require.resolve('vega-lite'));
  const js = 'text/javascript; charset=utf-8';
  return {
    '/index.html': { path: join(web, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { path: join(web, 'app.js'), type: js },
    '/style.css': { path: join(web, 'style.css'), type: 'text/css; charset=utf-8' },
    '/vendor/vega.min.js': { path: join(vegaDir, 'vega.min.js'), type: js },
    '/vendor/vega-lite.min.js': { path: join(vegaLiteDir, 'vega-lite.min.js'), type: js },
  };
}
